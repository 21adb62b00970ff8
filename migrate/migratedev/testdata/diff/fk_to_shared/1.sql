-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY);
-- tenantc:tenant
CREATE TABLE tickets (id bigint PRIMARY KEY);
