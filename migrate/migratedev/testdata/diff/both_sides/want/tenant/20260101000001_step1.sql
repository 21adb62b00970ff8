-- Create enum type "status"
CREATE TYPE "status" AS ENUM ('open', 'closed');
-- Create "tickets" table
CREATE TABLE "tickets" ("id" bigint NOT NULL, "plan_id" bigint NOT NULL, "status" "status" NOT NULL DEFAULT 'open', PRIMARY KEY ("id"), CONSTRAINT "tickets_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "app"."plans" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
