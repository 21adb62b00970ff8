-- tenantc:shared
CREATE TABLE plans (
  id bigserial PRIMARY KEY,
  name text NOT NULL
);

-- tenantc:tenant
CREATE TABLE tickets (
  id bigserial PRIMARY KEY,
  plan_id bigint NOT NULL REFERENCES plans (id),
  title text NOT NULL,
  priority integer NOT NULL DEFAULT 0
);
