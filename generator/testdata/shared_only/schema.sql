CREATE TABLE plans (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  seats integer NOT NULL DEFAULT 1,
  archived_at timestamptz
);
