-- Create "notes" table
CREATE TABLE "notes" ("id" bigserial NOT NULL, "body" text NOT NULL, PRIMARY KEY ("id"));
