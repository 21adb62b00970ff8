-- name: GetItem :one
SELECT id, plan_id, name, qty, note FROM items
WHERE id = $1;

-- name: InsertItem :exec
INSERT INTO items (plan_id, name, qty, note) VALUES ($1, $2, $3, $4);

-- name: ListItems :many
SELECT id, plan_id, name, qty, note FROM items
WHERE id > $1
ORDER BY id
LIMIT 100;

-- name: GetItemWithPlan :one
SELECT i.id, i.name, i.qty, p.name AS plan_name, p.price_cents
FROM items i
JOIN plans p ON p.id = i.plan_id
WHERE i.id = $1;

