-- Shared tables: one copy for the whole application, in the public schema.
-- tenantc:default shared

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- The tenant registry: each shop is a tenant with its own schema.
CREATE TABLE shops (
    id          text PRIMARY KEY,
    schema_name text NOT NULL UNIQUE,
    name        text NOT NULL,
    owner_id    bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
