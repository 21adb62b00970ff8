-- Create "users" table
CREATE TABLE "public"."users" ("id" bigserial NOT NULL, "email" text NOT NULL, "password_hash" text NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now(), PRIMARY KEY ("id"), CONSTRAINT "users_email_key" UNIQUE ("email"));
-- Create "shops" table
CREATE TABLE "public"."shops" ("id" text NOT NULL, "schema_name" text NOT NULL, "name" text NOT NULL, "owner_id" bigint NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now(), PRIMARY KEY ("id"), CONSTRAINT "shops_schema_name_key" UNIQUE ("schema_name"), CONSTRAINT "shops_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "public"."users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
