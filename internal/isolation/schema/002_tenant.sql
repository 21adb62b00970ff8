-- Tenant tables: one copy per tenant, in that tenant's schema. Every row
-- carries the id of the tenant that wrote it, so a row read through the
-- wrong schema gives itself away. The test also creates tables of the same
-- names in public, as decoys for an unqualified statement.
-- tenantc:default tenant

CREATE TABLE items (
    id     bigserial PRIMARY KEY,
    tenant text NOT NULL,
    n      integer NOT NULL,
    note   text NOT NULL
);

CREATE TABLE tags (
    item_id bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    tenant  text NOT NULL,
    tag     text NOT NULL
);
