CREATE TYPE "public"."invoice_status" AS ENUM('DRAFT', 'OPEN', 'PAID', 'VOID', 'UNCOLLECTIBLE');--> statement-breakpoint
CREATE TYPE "public"."line_item_kind" AS ENUM('BASE', 'OVERAGE', 'PRORATION', 'CREDIT');--> statement-breakpoint
CREATE SEQUENCE "public"."invoice_numbers" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "plan_assignments" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"plan_id" text NOT NULL,
	"effective_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invoice_line_items" (
	"id" text PRIMARY KEY NOT NULL,
	"invoice_id" text NOT NULL,
	"position" integer NOT NULL,
	"kind" "line_item_kind" NOT NULL,
	"description" text NOT NULL,
	"meter_key" text,
	"used" numeric(38, 12),
	"included" numeric(38, 12),
	"excess" numeric(38, 12),
	"unit_price" numeric(38, 12),
	"rate_description" text,
	"amount" bigint NOT NULL,
	"prepaid" boolean DEFAULT false NOT NULL,
	"stripe_invoice_item_id" text,
	CONSTRAINT "invoice_line_items_stripe_invoice_item_id_unique" UNIQUE("stripe_invoice_item_id"),
	CONSTRAINT "invoice_line_items_position_unique" UNIQUE("invoice_id","position")
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"number" text,
	"status" "invoice_status" NOT NULL,
	"month_start" timestamp (3) with time zone NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"period_end" timestamp (3) with time zone NOT NULL,
	"currency" text NOT NULL,
	"subtotal" bigint NOT NULL,
	"total" bigint NOT NULL,
	"amount_due" bigint NOT NULL,
	"amount_paid" bigint DEFAULT 0 NOT NULL,
	"stripe_invoice_id" text,
	"hosted_invoice_url" text,
	"stripe_push_started_at" timestamp (3) with time zone,
	"stripe_state_at" timestamp (3) with time zone,
	"failed_payment_attempts" integer DEFAULT 0 NOT NULL,
	"finalized_at" timestamp (3) with time zone,
	"paid_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invoices_number_unique" UNIQUE("number"),
	CONSTRAINT "invoices_stripe_invoice_id_unique" UNIQUE("stripe_invoice_id"),
	CONSTRAINT "invoices_period_unique" UNIQUE("organization_id","month_start")
);
--> statement-breakpoint
ALTER TABLE "billing_subscriptions" DROP CONSTRAINT "billing_subscriptions_period_plan_id_plans_id_fk";
--> statement-breakpoint
ALTER TABLE "plan_assignments" ADD CONSTRAINT "plan_assignments_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_assignments" ADD CONSTRAINT "plan_assignments_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_line_items" ADD CONSTRAINT "invoice_line_items_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_line_items" ADD CONSTRAINT "invoice_line_items_meter_key_meters_key_fk" FOREIGN KEY ("meter_key") REFERENCES "public"."meters"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "plan_assignments_timeline_idx" ON "plan_assignments" USING btree ("organization_id","effective_at");--> statement-breakpoint
CREATE INDEX "invoices_listing_idx" ON "invoices" USING btree ("organization_id","period_start","id");--> statement-breakpoint
CREATE INDEX "invoices_unfinished_idx" ON "invoices" USING btree ("month_start") WHERE "invoices"."status" = 'DRAFT';--> statement-breakpoint
-- Every subscription so far starts its plan timeline with the plan its current period began on.
INSERT INTO "plan_assignments" ("id", "organization_id", "plan_id", "effective_at")
SELECT 'pas_' || replace(gen_random_uuid()::text, '-', ''), "organization_id", coalesce("period_plan_id", "plan_id"), "current_period_start"
FROM "billing_subscriptions";--> statement-breakpoint
ALTER TABLE "billing_subscriptions" DROP COLUMN "period_plan_id";