-- name: GetPlan :one
SELECT id, name, price_cents FROM plans
WHERE id = $1;
