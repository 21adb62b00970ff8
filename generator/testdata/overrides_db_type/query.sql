-- name: ListEvents :many
SELECT * FROM events WHERE at > $1;

-- name: EventsByRef :many
SELECT id, mood FROM events WHERE ref = $1;
