-- tenantc:default tenant
CREATE TABLE tickets (id bigint PRIMARY KEY, title text NOT NULL, body text, priority int NOT NULL DEFAULT 0);
