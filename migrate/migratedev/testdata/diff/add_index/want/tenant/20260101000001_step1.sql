-- Create "tickets" table
CREATE TABLE "tickets" ("id" bigint NOT NULL, "title" text NOT NULL, PRIMARY KEY ("id"));
