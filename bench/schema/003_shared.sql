-- More shared reference data: one copy, in the public schema.
-- tenantc:default shared

CREATE TABLE currencies (
    code     text PRIMARY KEY,
    name     text NOT NULL,
    decimals integer NOT NULL
);

CREATE TABLE countries (
    code          text PRIMARY KEY,
    name          text NOT NULL,
    currency_code text NOT NULL REFERENCES currencies (code)
);

CREATE TABLE feature_flags (
    name    text PRIMARY KEY,
    enabled boolean NOT NULL,
    note    text NOT NULL
);
