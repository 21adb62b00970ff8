-- Create enum type "status"
CREATE TYPE "status" AS ENUM ('open', 'closed');
-- Create "tickets" table
CREATE TABLE "tickets" ("id" bigint NOT NULL, "status" "status" NOT NULL, PRIMARY KEY ("id"));
