-- tenantc:shared
CREATE TABLE plans (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  price numeric(10, 2) NOT NULL
);

-- tenantc:tenant
CREATE TABLE notes (
  id bigserial PRIMARY KEY,
  body text NOT NULL
);
