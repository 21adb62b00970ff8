-- Create "plans" table
CREATE TABLE "app"."plans" ("id" bigint NOT NULL, "name" text NOT NULL, PRIMARY KEY ("id"));
