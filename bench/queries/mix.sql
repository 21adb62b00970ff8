-- The tenant queries of the mixed workload (P8), beside GetItem in
-- items.sql. Every query that reads rows returns the rows' note, the
-- tenant id each row was written with, so that the harness checks each
-- row against the tenant it asked for.

-- name: ListRecentItems :many
SELECT id, plan_id, name, qty, note FROM items
WHERE id > $1
ORDER BY id
LIMIT 20;

-- name: AddItem :one
INSERT INTO items (plan_id, name, qty, note) VALUES ($1, $2, $3, $4)
RETURNING id;

-- name: BumpItemQty :one
UPDATE items SET qty = qty + 1
WHERE id = $1
RETURNING id, qty, note;

-- name: RemoveItem :one
DELETE FROM items
WHERE id = $1
RETURNING note;

-- name: GetItemPlan :one
SELECT i.id, i.note, p.name AS plan_name, p.price_cents
FROM items i
JOIN plans p ON p.id = i.plan_id
WHERE i.id = $1;

-- name: CountPlanItems :one
SELECT count(*) AS items, min(note)::text AS note
FROM items
WHERE plan_id = $1;

-- name: PlanTotals :many
SELECT plan_id, count(*) AS items, sum(qty)::bigint AS total_qty, min(note)::text AS note
FROM items
GROUP BY plan_id
ORDER BY plan_id;

-- name: BumpCounter :one
INSERT INTO counters (name, value, note) VALUES ($1, 1, $2)
ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
RETURNING value, note;

-- name: ListItemEvents :many
SELECT e.id, e.kind, i.name, i.note
FROM item_events e
JOIN items i ON i.id = e.item_id
WHERE e.item_id = $1
ORDER BY e.id;
