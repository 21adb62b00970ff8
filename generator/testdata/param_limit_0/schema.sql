-- tenantc:shared
CREATE TABLE plans (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  api_url text
);

-- tenantc:tenant
CREATE TYPE ticket_status AS ENUM ('open', 'in-progress', 'closed', 'won''t fix', '');

-- tenantc:tenant
CREATE TABLE tickets (
  id bigserial PRIMARY KEY,
  plan_id bigint NOT NULL REFERENCES plans (id),
  status ticket_status NOT NULL DEFAULT 'open',
  prior_status ticket_status,
  user_uuid uuid,
  title text NOT NULL
);
