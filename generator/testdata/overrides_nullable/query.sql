-- name: ListFoo :many
SELECT * FROM foo;

-- name: FooByBaz :many
SELECT bar FROM foo WHERE baz = $1;
