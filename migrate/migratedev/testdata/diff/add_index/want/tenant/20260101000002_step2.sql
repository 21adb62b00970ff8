-- Create index "tickets_title" to table: "tickets"
CREATE UNIQUE INDEX "tickets_title" ON "tickets" ((lower(title)));
