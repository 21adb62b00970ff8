-- tenantc:default tenant
CREATE TYPE mood AS ENUM ('happy', 'sad');

CREATE TYPE unused_kind AS ENUM ('a', 'b');

CREATE TABLE tickets (
  id bigserial PRIMARY KEY,
  mood mood,
  title text NOT NULL
);

CREATE TABLE unused_table (
  id bigserial PRIMARY KEY,
  kind unused_kind NOT NULL
);
