-- Create enum type "order_status"
CREATE TYPE "order_status" AS ENUM ('pending', 'paid', 'shipped', 'cancelled');
-- Create "products" table
CREATE TABLE "products" ("id" bigserial NOT NULL, "name" text NOT NULL, "price_cents" integer NOT NULL, "tags" text[] NOT NULL DEFAULT '{}', "attributes" jsonb NULL, "created_at" timestamptz NOT NULL DEFAULT now(), PRIMARY KEY ("id"), CONSTRAINT "products_price_cents_check" CHECK (price_cents >= 0));
-- Create "orders" table
CREATE TABLE "orders" ("id" bigserial NOT NULL, "product_id" bigint NOT NULL, "buyer_id" bigint NOT NULL, "quantity" integer NOT NULL, "status" "order_status" NOT NULL DEFAULT 'pending', "created_at" timestamptz NOT NULL DEFAULT now(), PRIMARY KEY ("id"), CONSTRAINT "orders_buyer_id_fkey" FOREIGN KEY ("buyer_id") REFERENCES "public"."users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "orders_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "products" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "orders_quantity_check" CHECK (quantity > 0));
-- Create index "orders_status_idx" to table: "orders"
CREATE INDEX "orders_status_idx" ON "orders" ("status");
