CREATE TABLE "invoice_run_failures" (
	"id" text PRIMARY KEY NOT NULL,
	"period" text NOT NULL,
	"organization_id" text NOT NULL,
	"invoice_id" text,
	"error" text NOT NULL,
	"failed_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "invoice_run_failures" ADD CONSTRAINT "invoice_run_failures_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "invoice_run_failures_period_idx" ON "invoice_run_failures" USING btree ("period","failed_at");