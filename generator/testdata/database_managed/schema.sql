-- tenantc:default tenant
CREATE TABLE tickets (
  id bigserial PRIMARY KEY,
  priority integer NOT NULL,
  estimate numeric(6, 2)
);
