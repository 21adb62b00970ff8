-- name: OrdersByRef :many
SELECT id, total FROM orders WHERE customer_ref = sqlc.arg(ref);

-- name: OrdersByRefs :many
SELECT id FROM orders WHERE customer_ref = ANY(sqlc.slice(refs)::text[]);

-- name: SetTotal :exec
UPDATE orders SET total = @total WHERE customer_ref = @customer_ref;

-- name: RenamedRef :one
SELECT customer_ref AS ref FROM orders WHERE id = $1;
