-- tenantc:default tenant
CREATE TABLE tickets (id bigint PRIMARY KEY, title text NOT NULL);
CREATE UNIQUE INDEX tickets_title ON tickets (lower(title));
