-- Create "tenants" table
CREATE TABLE "public"."tenants" ("id" text NOT NULL, "schema_name" text NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now(), PRIMARY KEY ("id"), CONSTRAINT "tenants_schema_name_key" UNIQUE ("schema_name"));
