-- tenantc:default tenant
CREATE TABLE foo (
  id text,
  other_id text,
  about text,
  other text,
  notnulltext text NOT NULL
);

CREATE TABLE bar (
  id text,
  other_id text,
  about text,
  other text
);
