-- name: ListFoo :many
SELECT id, other_id, about FROM foo WHERE other = $1;

-- name: UpdateBar :exec
UPDATE bar SET about = $1 WHERE id = $2 AND other_id = $3;
