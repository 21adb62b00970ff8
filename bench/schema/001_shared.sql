-- Shared tables: one copy, in the public schema.
-- tenantc:default shared

-- The tenant registry read by tenancy.Registry.
CREATE TABLE tenants (
    id          text PRIMARY KEY,
    schema_name text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE plans (
    id          bigint PRIMARY KEY,
    name        text NOT NULL,
    price_cents integer NOT NULL
);
