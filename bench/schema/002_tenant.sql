-- Tenant tables: one copy per tenant, in the tenant's schema.
-- tenantc:default tenant

-- plan_id names a shared plan without a foreign key: a key to a shared
-- table adds triggers on it for every tenant.
CREATE TABLE items (
    id      bigserial PRIMARY KEY,
    plan_id bigint NOT NULL,
    name    text NOT NULL,
    qty     integer NOT NULL,
    note    text NOT NULL
);

CREATE INDEX items_plan_id_idx ON items (plan_id);

CREATE TABLE item_events (
    id      bigserial PRIMARY KEY,
    item_id bigint NOT NULL REFERENCES items (id),
    kind    text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);

-- counters is the target of the mix's upsert (P8): one row per name,
-- created by the first upsert of a name and counted up by the next.
CREATE TABLE counters (
    name  text PRIMARY KEY,
    value bigint NOT NULL,
    note  text NOT NULL
);
