-- tenantc:default tenant
CREATE TABLE bar (id serial NOT NULL, name text);

CREATE FUNCTION touch_bar(bar_id integer) RETURNS void
LANGUAGE sql AS $$ UPDATE bar SET name = name WHERE id = bar_id $$;

-- tenantc:shared
CREATE TABLE plans (id bigint PRIMARY KEY);
