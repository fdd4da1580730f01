CREATE TABLE "usage_daily_snapshots" (
	"organization_id" text NOT NULL,
	"meter_key" text NOT NULL,
	"day" date NOT NULL,
	"value" numeric(38, 12) NOT NULL,
	"event_count" bigint NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_daily_snapshots_organization_id_meter_key_day_pk" PRIMARY KEY("organization_id","meter_key","day")
);
--> statement-breakpoint
CREATE TABLE "usage_events" (
	"id" text PRIMARY KEY NOT NULL,
	"organization_id" text NOT NULL,
	"meter_key" text NOT NULL,
	"quantity" numeric(38, 12) NOT NULL,
	"idempotency_key" text NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"metadata" jsonb,
	CONSTRAINT "usage_events_idempotency_unique" UNIQUE("organization_id","idempotency_key"),
	CONSTRAINT "usage_events_quantity_positive" CHECK ("usage_events"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "usage_totals" (
	"organization_id" text NOT NULL,
	"meter_key" text NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"value" numeric(38, 12) DEFAULT '0' NOT NULL,
	"event_count" bigint DEFAULT 0 NOT NULL,
	"last_occurred_at" timestamp (3) with time zone,
	"last_event_id" text,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_totals_organization_id_meter_key_period_start_pk" PRIMARY KEY("organization_id","meter_key","period_start")
);
--> statement-breakpoint
ALTER TABLE "usage_daily_snapshots" ADD CONSTRAINT "usage_daily_snapshots_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_daily_snapshots" ADD CONSTRAINT "usage_daily_snapshots_meter_key_meters_key_fk" FOREIGN KEY ("meter_key") REFERENCES "public"."meters"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_events" ADD CONSTRAINT "usage_events_meter_key_meters_key_fk" FOREIGN KEY ("meter_key") REFERENCES "public"."meters"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_totals" ADD CONSTRAINT "usage_totals_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_totals" ADD CONSTRAINT "usage_totals_meter_key_meters_key_fk" FOREIGN KEY ("meter_key") REFERENCES "public"."meters"("key") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "usage_events_meter_time_idx" ON "usage_events" USING btree ("organization_id","meter_key","occurred_at");