-- Create "plans" table
CREATE TABLE "app"."plans" ("id" bigint NOT NULL, PRIMARY KEY ("id"));
