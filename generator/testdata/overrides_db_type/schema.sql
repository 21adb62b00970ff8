-- tenantc:default tenant
CREATE TYPE mood AS ENUM ('happy', 'sad');

CREATE TABLE events (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  done_at timestamptz,
  ref uuid NOT NULL,
  mood mood NOT NULL,
  took interval NOT NULL
);
