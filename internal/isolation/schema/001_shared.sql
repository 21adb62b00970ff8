-- Shared tables: one copy, in the public schema.
-- tenantc:default shared

-- The tenant registry that tenancy.Registry reads.
CREATE TABLE tenants (
    id          text PRIMARY KEY,
    schema_name text UNIQUE NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
