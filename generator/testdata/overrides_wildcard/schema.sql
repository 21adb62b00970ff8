-- tenantc:default tenant
CREATE TABLE authors (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  editor_id bigint
);

CREATE TABLE books (
  id bigint PRIMARY KEY,
  author_id bigint NOT NULL REFERENCES authors (id),
  title text NOT NULL,
  isbn text
);
