-- tenantc:shared
CREATE TABLE foo (
  bar text,
  bam jsonb,
  baz jsonb NOT NULL,
  qux integer NOT NULL
);
