CREATE TABLE "plan_prices" (
	"plan_id" text NOT NULL,
	"interval" "billing_interval" NOT NULL,
	"amount" bigint NOT NULL,
	"stripe_price_id" text,
	CONSTRAINT "plan_prices_plan_id_interval_pk" PRIMARY KEY("plan_id","interval"),
	CONSTRAINT "plan_prices_stripe_price_id_unique" UNIQUE("stripe_price_id"),
	CONSTRAINT "plan_prices_amount_non_negative" CHECK ("plan_prices"."amount" >= 0)
);
--> statement-breakpoint
ALTER TABLE "plans" DROP CONSTRAINT "plans_stripe_price_id_unique";--> statement-breakpoint
ALTER TABLE "plan_prices" ADD CONSTRAINT "plan_prices_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Every version so far had one price, of its interval; its Stripe price moves with it.
INSERT INTO "plan_prices" ("plan_id", "interval", "amount", "stripe_price_id")
SELECT "id", "interval", "base_price_amount", "stripe_price_id" FROM "plans";--> statement-breakpoint
ALTER TABLE "plans" DROP COLUMN "stripe_price_id";