-- tenantc:default tenant
CREATE DOMAIN short_text AS text CHECK (length(VALUE) < 10);

CREATE DOMAIN positive AS integer CHECK (VALUE > 0);

CREATE TYPE pair AS (a integer, b integer);

CREATE TYPE level AS ENUM ('low', 'high');

CREATE TABLE samples (
  id bigserial PRIMARY KEY,
  -- network
  addr inet NOT NULL,
  addr_null inet,
  block cidr,
  mac macaddr NOT NULL,
  mac8 macaddr8,
  -- extension types
  email citext NOT NULL,
  email_null citext,
  path_tree ltree,
  path_query lquery,
  attrs hstore,
  embedding vector(3) NOT NULL,
  embedding_null vector(3),
  -- ranges and multiranges
  ints int4range NOT NULL,
  bigs int8range,
  nums numrange,
  days daterange,
  stamps tsrange,
  stamps_tz tstzrange,
  int_multi int4multirange,
  big_multi int8multirange,
  num_multi nummultirange,
  day_multi datemultirange,
  ts_multi tsmultirange,
  tstz_multi tstzmultirange,
  -- arrays
  names text[] NOT NULL,
  grid integer[][],
  addrs inet[],
  levels level[] NOT NULL,
  periods daterange[],
  -- the rest of the catalog
  money_amount money,
  clock time NOT NULL,
  -- sqlc maps "time with time zone" (pg_catalog.timetz); a bare timetz is
  -- interface{} in sqlc, and so here
  clock_tz timetz,
  clock_with_tz time with time zone,
  clock_tz_required timetz NOT NULL,
  bits bit(8),
  varbits varbit,
  obj oid,
  tx xid,
  tx8 xid8,
  row_id tid,
  pos point,
  area box,
  ring circle,
  edge line,
  seg lseg,
  route path,
  shape polygon,
  who name,
  short short_text,
  count positive NOT NULL,
  couple pair,
  couple_required pair NOT NULL,
  lvl level
);
