CREATE TYPE member_role AS ENUM ('owner', 'member');

CREATE SEQUENCE invoice_numbers;

CREATE TABLE members (
  id bigserial PRIMARY KEY,
  plan_id bigint NOT NULL REFERENCES plans (id),
  email text NOT NULL,
  role member_role NOT NULL DEFAULT 'member'
);

CREATE TABLE invoices (
  id bigint PRIMARY KEY DEFAULT nextval('invoice_numbers'),
  member_id bigint NOT NULL REFERENCES members (id),
  total numeric NOT NULL
);

CREATE TABLE archived_members (
  id bigint PRIMARY KEY,
  email text NOT NULL
);

CREATE FUNCTION member_count() RETURNS bigint LANGUAGE sql
SET search_path FROM CURRENT
AS $$ SELECT count(*) FROM members $$;
