-- tenantc:shared
CREATE TABLE plans (id bigserial PRIMARY KEY, name text NOT NULL, price numeric, tags text[] NOT NULL DEFAULT '{}');
-- tenantc:tenant
CREATE TYPE ticket_status AS ENUM ('open', 'closed', 'in-progress');
-- tenantc:tenant
CREATE TABLE tickets (id bigserial PRIMARY KEY, plan_id bigint REFERENCES plans(id), status ticket_status NOT NULL, title text NOT NULL, body jsonb, created_at timestamptz NOT NULL DEFAULT now(), ip inet);
