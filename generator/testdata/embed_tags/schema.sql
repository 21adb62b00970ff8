-- tenantc:default tenant
CREATE TABLE api_keys (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL
);

CREATE TABLE users (
  id bigserial PRIMARY KEY,
  home_url text
);
