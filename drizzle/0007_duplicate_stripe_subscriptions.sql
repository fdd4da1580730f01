CREATE TABLE "duplicate_stripe_subscriptions" (
	"stripe_subscription_id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"kept_stripe_subscription_id" text NOT NULL,
	"stripe_customer_id" text NOT NULL,
	"detected_at" timestamp (3) with time zone NOT NULL,
	"canceled_at" timestamp (3) with time zone,
	"cancel_error" text
);
--> statement-breakpoint
ALTER TABLE "duplicate_stripe_subscriptions" ADD CONSTRAINT "duplicate_stripe_subscriptions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;