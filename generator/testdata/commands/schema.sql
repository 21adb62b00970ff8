-- tenantc:tenant
CREATE TABLE tickets (
  id bigserial PRIMARY KEY,
  title text NOT NULL,
  priority integer NOT NULL DEFAULT 0,
  closed boolean NOT NULL DEFAULT false
);
