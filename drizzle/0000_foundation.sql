CREATE TYPE "public"."aggregation" AS ENUM('SUM', 'COUNT', 'MAX', 'LAST');--> statement-breakpoint
CREATE TYPE "public"."billing_interval" AS ENUM('MONTH', 'YEAR');--> statement-breakpoint
CREATE TYPE "public"."limit_mode" AS ENUM('HARD', 'SOFT', 'OVERAGE');--> statement-breakpoint
CREATE TYPE "public"."role" AS ENUM('ADMIN', 'OWNER', 'VIEWER', 'INGEST');--> statement-breakpoint
CREATE TYPE "public"."subscription_status" AS ENUM('TRIALING', 'ACTIVE', 'PAST_DUE', 'CANCELED', 'PAUSED', 'INCOMPLETE', 'UNPAID');--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text,
	"role" "role" NOT NULL,
	"key_hash" text NOT NULL,
	"display_prefix" text NOT NULL,
	"revoked_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash"),
	CONSTRAINT "api_keys_organization_by_role" CHECK (("api_keys"."role" = 'ADMIN') = ("api_keys"."organization_id" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "billing_subscriptions" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"plan_id" text NOT NULL,
	"status" "subscription_status" NOT NULL,
	"current_period_start" timestamp (3) with time zone NOT NULL,
	"current_period_end" timestamp (3) with time zone NOT NULL,
	"trial_end" timestamp (3) with time zone,
	"cancel_at_period_end" boolean DEFAULT false NOT NULL,
	"canceled_at" timestamp (3) with time zone,
	"pending_plan_id" text,
	"stripe_subscription_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_subscriptions_organization_id_unique" UNIQUE("organization_id"),
	CONSTRAINT "billing_subscriptions_stripe_subscription_id_unique" UNIQUE("stripe_subscription_id")
);
--> statement-breakpoint
CREATE TABLE "meters" (
	"key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"unit" text NOT NULL,
	"aggregation" "aggregation" NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"billing_email" text,
	"stripe_customer_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organizations_stripe_customer_id_unique" UNIQUE("stripe_customer_id")
);
--> statement-breakpoint
CREATE TABLE "plan_quotas" (
	"plan_id" text NOT NULL,
	"meter_key" text NOT NULL,
	"included_quantity" numeric(38, 12),
	"limit_mode" "limit_mode" NOT NULL,
	"overage_unit_price" numeric(38, 12),
	"overage_tiers" jsonb,
	CONSTRAINT "plan_quotas_plan_id_meter_key_pk" PRIMARY KEY("plan_id","meter_key"),
	CONSTRAINT "plan_quotas_price_only_for_overage" CHECK ("plan_quotas"."limit_mode" = 'OVERAGE' OR ("plan_quotas"."overage_unit_price" IS NULL AND "plan_quotas"."overage_tiers" IS NULL)),
	CONSTRAINT "plan_quotas_overage_has_price" CHECK ("plan_quotas"."limit_mode" <> 'OVERAGE' OR "plan_quotas"."included_quantity" IS NULL OR "plan_quotas"."overage_unit_price" IS NOT NULL OR "plan_quotas"."overage_tiers" IS NOT NULL),
	CONSTRAINT "plan_quotas_non_negative" CHECK (("plan_quotas"."included_quantity" IS NULL OR "plan_quotas"."included_quantity" >= 0) AND ("plan_quotas"."overage_unit_price" IS NULL OR "plan_quotas"."overage_unit_price" >= 0))
);
--> statement-breakpoint
CREATE TABLE "plans" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"name" text NOT NULL,
	"base_price_amount" bigint NOT NULL,
	"currency" text DEFAULT 'usd' NOT NULL,
	"interval" "billing_interval" DEFAULT 'MONTH' NOT NULL,
	"trial_days" integer DEFAULT 0 NOT NULL,
	"features" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plans_key_version_unique" UNIQUE("key","version"),
	CONSTRAINT "plans_base_price_non_negative" CHECK ("plans"."base_price_amount" >= 0),
	CONSTRAINT "plans_trial_days_non_negative" CHECK ("plans"."trial_days" >= 0)
);
--> statement-breakpoint
CREATE TABLE "quota_overrides" (
	"organization_id" text NOT NULL,
	"meter_key" text NOT NULL,
	"limit_quantity" numeric(38, 12),
	"limit_mode" "limit_mode" NOT NULL,
	"overage_unit_price" numeric(38, 12),
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "quota_overrides_organization_id_meter_key_pk" PRIMARY KEY("organization_id","meter_key"),
	CONSTRAINT "quota_overrides_price_only_for_overage" CHECK ("quota_overrides"."limit_mode" = 'OVERAGE' OR "quota_overrides"."overage_unit_price" IS NULL)
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_subscriptions" ADD CONSTRAINT "billing_subscriptions_pending_plan_id_plans_id_fk" FOREIGN KEY ("pending_plan_id") REFERENCES "public"."plans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_quotas" ADD CONSTRAINT "plan_quotas_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_quotas" ADD CONSTRAINT "plan_quotas_meter_key_meters_key_fk" FOREIGN KEY ("meter_key") REFERENCES "public"."meters"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quota_overrides" ADD CONSTRAINT "quota_overrides_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quota_overrides" ADD CONSTRAINT "quota_overrides_meter_key_meters_key_fk" FOREIGN KEY ("meter_key") REFERENCES "public"."meters"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_keys_organization_idx" ON "api_keys" USING btree ("organization_id");