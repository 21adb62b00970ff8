-- tenantc:default tenant
CREATE TABLE foo (
  id bigint NOT NULL,
  other_id bigint NOT NULL,
  age integer,
  balance double precision,
  bio text,
  about text
);
