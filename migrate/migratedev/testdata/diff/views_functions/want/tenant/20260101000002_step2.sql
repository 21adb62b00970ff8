-- Create domain "priority"
CREATE DOMAIN priority AS int CHECK (VALUE BETWEEN 0 AND 9);
-- Replace function "touch"
CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END $$
SET search_path FROM CURRENT;
-- Modify "tickets" table
ALTER TABLE "tickets" ADD COLUMN "prio" priority NOT NULL DEFAULT '0';
-- Replace view "open_tickets"
CREATE OR REPLACE VIEW open_tickets AS SELECT t.id, t.title, p.name AS plan, t.prio FROM tickets t JOIN plans p ON p.id = t.plan_id;
