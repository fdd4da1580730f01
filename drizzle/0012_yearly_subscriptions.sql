ALTER TABLE "billing_subscriptions" ADD COLUMN "interval" "billing_interval" DEFAULT 'MONTH' NOT NULL;--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ADD COLUMN "pending_interval" "billing_interval";--> statement-breakpoint
ALTER TABLE "plan_assignments" ADD COLUMN "interval" "billing_interval" DEFAULT 'MONTH' NOT NULL;--> statement-breakpoint
ALTER TABLE "proration_items" ADD COLUMN "kind" text DEFAULT 'PRORATION' NOT NULL;--> statement-breakpoint
ALTER TABLE "proration_items" ADD CONSTRAINT "proration_items_kind" CHECK ("proration_items"."kind" in ('PRORATION', 'BASE'));