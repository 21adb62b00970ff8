-- Create index "tickets_plan" to table: "tickets"
CREATE INDEX "tickets_plan" ON "tickets" ("plan_id");
