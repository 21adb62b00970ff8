-- Modify "plans" table
ALTER TABLE "app"."plans" ADD COLUMN "price_cents" bigint NOT NULL DEFAULT 0;
