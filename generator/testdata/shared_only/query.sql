-- name: GetPlan :one
SELECT * FROM plans WHERE id = $1;

-- name: ListPlans :many
SELECT * FROM plans ORDER BY name;

-- name: CreatePlan :one
INSERT INTO plans (name, seats) VALUES ($1, $2) RETURNING *;

-- name: ArchivePlan :exec
UPDATE plans SET archived_at = now() WHERE id = $1;

-- name: DeleteArchived :execrows
DELETE FROM plans WHERE archived_at IS NOT NULL;

-- name: RenamePlan :execresult
UPDATE plans SET name = $2 WHERE id = $1;
