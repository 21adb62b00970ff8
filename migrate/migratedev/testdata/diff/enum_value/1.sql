-- tenantc:default tenant
CREATE TYPE status AS ENUM ('open', 'closed');
CREATE TABLE tickets (id bigint PRIMARY KEY, status status NOT NULL);
