-- tenantc:default shared

CREATE TABLE plans (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  max_seats integer NOT NULL
);
