-- Tenant tables: one copy per shop, in that shop's schema.
-- tenantc:default tenant

CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');

CREATE TABLE products (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0),
    tags        text[] NOT NULL DEFAULT '{}',
    attributes  jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id         bigserial PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES products (id),
    buyer_id   bigint NOT NULL REFERENCES users (id),
    quantity   integer NOT NULL CHECK (quantity > 0),
    status     order_status NOT NULL DEFAULT 'pending',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_status_idx ON orders (status);
