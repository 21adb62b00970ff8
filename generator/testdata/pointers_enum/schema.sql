-- tenantc:default tenant
CREATE TYPE level AS ENUM ('low', 'high');

CREATE TYPE pair AS (a integer, b integer);

CREATE TABLE samples (
  id bigserial PRIMARY KEY,
  lvl level,
  lvl_required level NOT NULL,
  embedding vector(3),
  couple pair,
  note text
);
