-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);
-- tenantc:tenant
CREATE DOMAIN priority AS int CHECK (VALUE BETWEEN 0 AND 9);
-- tenantc:tenant
CREATE TABLE tickets (id bigint PRIMARY KEY, plan_id bigint REFERENCES plans (id), title text NOT NULL, updated_at timestamptz, prio priority NOT NULL DEFAULT 0);
-- tenantc:tenant
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := clock_timestamp();
  RETURN NEW;
END $$;
CREATE TRIGGER tickets_touch BEFORE UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION touch();
-- tenantc:tenant
CREATE VIEW open_tickets AS SELECT t.id, t.title, p.name AS plan, t.prio FROM tickets t JOIN plans p ON p.id = t.plan_id;
