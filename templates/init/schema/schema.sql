-- Annotated DDL. Each CREATE statement is either shared (one copy, in the
-- shared schema) or tenant (one copy in every tenant's schema):
--
--   -- tenantc:shared     the next CREATE statement is shared
--   -- tenantc:tenant     the next CREATE statement is per tenant
--   -- tenantc:default tenant   (first line of a file) the default for
--                               this file's unannotated statements
--
-- Write names unqualified: tenantc places each object in its schema.
-- A tenant object may reference shared objects; a shared object may not
-- reference tenant objects.

-- tenantc:shared
CREATE TABLE plans (
    id    bigserial PRIMARY KEY,
    name  text NOT NULL UNIQUE,
    price_cents integer NOT NULL
);

-- tenantc:tenant
CREATE TYPE ticket_status AS ENUM ('open', 'closed');

-- tenantc:tenant
CREATE TABLE tickets (
    id         bigserial PRIMARY KEY,
    title      text NOT NULL,
    status     ticket_status NOT NULL DEFAULT 'open',
    plan_id    bigint REFERENCES plans (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Indexes follow their table's scope.
CREATE INDEX tickets_status_idx ON tickets (status);
