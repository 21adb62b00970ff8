-- tenantc:default tenant
CREATE TABLE posts (
  id bigserial PRIMARY KEY,
  tags text[] NOT NULL,
  scores integer[],
  labels text[]
);
