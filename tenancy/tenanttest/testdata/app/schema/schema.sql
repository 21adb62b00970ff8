-- tenantc:shared
CREATE TABLE tenants (
    id          text PRIMARY KEY,
    schema_name text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- tenantc:tenant
CREATE TABLE notes (
    id   bigserial PRIMARY KEY,
    body text NOT NULL
);
