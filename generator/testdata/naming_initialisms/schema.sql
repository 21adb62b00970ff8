-- tenantc:default tenant
CREATE TYPE ip_protocol AS ENUM ('ip_protocol_ip', 'json', 'http_url');

CREATE TABLE news (
  id bigserial PRIMARY KEY,
  uri text NOT NULL,
  utc_offset integer NOT NULL,
  ip_protocol ip_protocol NOT NULL,
  author_uuid uuid,
  api_url text,
  user_Id bigint
);

CREATE TABLE api_keys (
  id bigserial PRIMARY KEY,
  news_id bigint NOT NULL REFERENCES news (id),
  json_body jsonb NOT NULL
);
