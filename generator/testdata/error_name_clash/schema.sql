CREATE TABLE ticket_rows (
  id bigserial PRIMARY KEY,
  title text NOT NULL
);

CREATE TABLE tickets (
  id bigserial PRIMARY KEY,
  title text NOT NULL,
  body text NOT NULL
);

CREATE TABLE notes (
  id bigserial PRIMARY KEY
);

CREATE TABLE ticket (
  id bigserial PRIMARY KEY
);
