-- Create "regions" table
CREATE TABLE "app"."regions" ("code" text NOT NULL, PRIMARY KEY ("code"));
