ALTER TABLE "invoices" ALTER COLUMN "amount_paid" SET DEFAULT 0;--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "usage_closed_at" timestamp (3) with time zone;--> statement-breakpoint
-- Invoices made before the grace window was honoured closed their month when they were made.
UPDATE "invoices" SET "usage_closed_at" = "created_at";
