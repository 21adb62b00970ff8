-- The rest of a tenant's tables, so that each tenant schema is the size of
-- a real app's (20 tables). References to shared tables carry no foreign
-- key: a key to a shared table adds triggers on it for every tenant.
-- tenantc:default tenant

CREATE TABLE customers (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL,
    email        text NOT NULL UNIQUE,
    country_code text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE addresses (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    line1       text NOT NULL,
    city        text NOT NULL,
    postcode    text NOT NULL
);

CREATE TABLE contacts (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    name        text NOT NULL,
    phone       text
);

CREATE TABLE orders (
    id            bigserial PRIMARY KEY,
    customer_id   bigint NOT NULL REFERENCES customers (id),
    currency_code text NOT NULL,
    total_cents   bigint NOT NULL,
    status        text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_customer_id_idx ON orders (customer_id);

CREATE TABLE order_lines (
    id       bigserial PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    item_id  bigint NOT NULL REFERENCES items (id),
    qty      integer NOT NULL
);

CREATE TABLE invoices (
    id        bigserial PRIMARY KEY,
    order_id  bigint NOT NULL REFERENCES orders (id),
    number    text NOT NULL UNIQUE,
    issued_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payments (
    id           bigserial PRIMARY KEY,
    invoice_id   bigint NOT NULL REFERENCES invoices (id),
    amount_cents bigint NOT NULL,
    paid_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notes (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    body        text NOT NULL
);

CREATE TABLE tags (
    id   bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE
);

CREATE TABLE item_tags (
    item_id bigint NOT NULL REFERENCES items (id),
    tag_id  bigint NOT NULL REFERENCES tags (id),
    PRIMARY KEY (item_id, tag_id)
);

CREATE TABLE projects (
    id   bigserial PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE tasks (
    id         bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects (id),
    title      text NOT NULL,
    done       boolean NOT NULL DEFAULT false
);

CREATE TABLE comments (
    id      bigserial PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id),
    body    text NOT NULL
);

CREATE TABLE attachments (
    id      bigserial PRIMARY KEY,
    task_id bigint NOT NULL REFERENCES tasks (id),
    name    text NOT NULL,
    size    bigint NOT NULL
);

CREATE TABLE audit_log (
    id     bigserial PRIMARY KEY,
    action text NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE settings (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE webhooks (
    id  bigserial PRIMARY KEY,
    url text NOT NULL
);

CREATE TABLE api_keys (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL,
    hash       bytea NOT NULL,
    revoked_at timestamptz
);
