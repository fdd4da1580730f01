CREATE TABLE "features" (
	"key" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plan_entitlements" (
	"plan_id" text NOT NULL,
	"feature_key" text NOT NULL,
	"value" jsonb,
	CONSTRAINT "plan_entitlements_plan_id_feature_key_pk" PRIMARY KEY("plan_id","feature_key")
);
--> statement-breakpoint
ALTER TABLE "plans" ADD COLUMN "description" text;--> statement-breakpoint
ALTER TABLE "plan_entitlements" ADD CONSTRAINT "plan_entitlements_plan_id_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."plans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_entitlements" ADD CONSTRAINT "plan_entitlements_feature_key_features_key_fk" FOREIGN KEY ("feature_key") REFERENCES "public"."features"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Features were a list of keys on each plan: each becomes a feature (named by its key until an
-- ADMIN names it) and an on/off entitlement of the plans that listed it.
INSERT INTO "features" ("key", "name")
SELECT DISTINCT f.key, f.key FROM "plans" p, jsonb_array_elements_text(p."features") AS f(key)
ON CONFLICT DO NOTHING;--> statement-breakpoint
INSERT INTO "plan_entitlements" ("plan_id", "feature_key", "value")
SELECT p."id", f.key, NULL FROM "plans" p, jsonb_array_elements_text(p."features") AS f(key)
ON CONFLICT DO NOTHING;
