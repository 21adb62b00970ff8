CREATE TABLE authors (
  id   BIGSERIAL PRIMARY KEY,
  name text      NOT NULL,
  bio  text,
  website_url text
);

-- tenantc:shared
CREATE TABLE countries (
  code text PRIMARY KEY,
  name text NOT NULL
);
