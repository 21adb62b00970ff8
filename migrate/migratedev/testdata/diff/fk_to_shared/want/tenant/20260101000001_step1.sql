-- Create "tickets" table
CREATE TABLE "tickets" ("id" bigint NOT NULL, PRIMARY KEY ("id"));
