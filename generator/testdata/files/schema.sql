-- tenantc:shared
CREATE TABLE plans (
  id bigserial PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE notes (
  id bigserial PRIMARY KEY,
  body text NOT NULL
);

COMMENT ON TABLE notes IS 'Notes a tenant keeps.';
COMMENT ON COLUMN notes.body IS E'Markdown text.\nRendered when read.';
