-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY, name text NOT NULL);
-- tenantc:tenant
CREATE TYPE status AS ENUM ('open', 'closed');
-- tenantc:tenant
CREATE TABLE tickets (
  id bigint PRIMARY KEY,
  plan_id bigint NOT NULL REFERENCES plans (id),
  status status NOT NULL DEFAULT 'open'
);
