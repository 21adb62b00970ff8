-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY);
-- tenantc:shared
CREATE TABLE regions (code text PRIMARY KEY);
-- tenantc:tenant
CREATE TABLE tickets (
  id bigint PRIMARY KEY,
  plan_id bigint REFERENCES plans (id) ON DELETE SET NULL,
  region text NOT NULL DEFAULT 'eu' REFERENCES regions (code)
);
