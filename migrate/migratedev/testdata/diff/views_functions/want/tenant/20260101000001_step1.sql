-- Create function "touch"
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$
SET search_path FROM CURRENT;
-- Create "tickets" table
CREATE TABLE "tickets" ("id" bigint NOT NULL, "plan_id" bigint NULL, "title" text NOT NULL, "updated_at" timestamptz NULL, PRIMARY KEY ("id"), CONSTRAINT "tickets_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "app"."plans" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create trigger "tickets.tickets_touch"
CREATE TRIGGER tickets_touch BEFORE UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION touch();
-- Create view "open_tickets"
CREATE VIEW open_tickets AS SELECT t.id, t.title, p.name AS plan FROM tickets t JOIN plans p ON p.id = t.plan_id;
