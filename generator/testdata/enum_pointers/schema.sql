-- tenantc:default tenant
CREATE TYPE state AS ENUM ('new', 'in-review', 'done');

CREATE TABLE tasks (
  id bigserial PRIMARY KEY,
  state state,
  next_state state NOT NULL,
  note text
);
