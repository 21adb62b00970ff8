-- name: ListPlans :many
SELECT id, name FROM plans;
