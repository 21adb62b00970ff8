-- Modify "tickets" table
ALTER TABLE "tickets" ADD COLUMN "body" text NULL, ADD COLUMN "priority" integer NOT NULL DEFAULT 0;
