-- tenantc:default tenant
CREATE TABLE orders (
  id bigserial PRIMARY KEY,
  customer_ref text NOT NULL,
  total numeric(10, 2) NOT NULL
);
