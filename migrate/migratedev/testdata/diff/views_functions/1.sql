-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);
-- tenantc:tenant
CREATE TABLE tickets (id bigint PRIMARY KEY, plan_id bigint REFERENCES plans (id), title text NOT NULL, updated_at timestamptz);
-- tenantc:tenant
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER tickets_touch BEFORE UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION touch();
-- tenantc:tenant
CREATE VIEW open_tickets AS SELECT t.id, t.title, p.name AS plan FROM tickets t JOIN plans p ON p.id = t.plan_id;
