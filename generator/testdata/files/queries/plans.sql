-- name: PlanName :one
-- PlanName returns a plan's name.
SELECT name FROM plans WHERE id = $1;
