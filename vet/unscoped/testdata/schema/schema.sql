-- tenantc:shared
CREATE TABLE plans (
    id   bigint PRIMARY KEY,
    name text NOT NULL
);

-- tenantc:tenant
CREATE TYPE ticket_status AS ENUM ('open', 'closed');

-- tenantc:tenant
CREATE TABLE tickets (
    id      bigserial PRIMARY KEY,
    plan_id bigint NOT NULL REFERENCES plans (id),
    status  ticket_status NOT NULL DEFAULT 'open',
    title   text NOT NULL
);

-- tenantc:tenant
CREATE TABLE "Patients" (
    id bigint PRIMARY KEY
);

-- tenantc:tenant
CREATE VIEW open_tickets AS SELECT id, title FROM tickets WHERE status = 'open';

-- tenantc:tenant
CREATE SEQUENCE invoice_seq;

-- tenantc:tenant
CREATE FUNCTION ticket_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM tickets $$;
