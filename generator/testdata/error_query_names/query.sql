-- name: Tenant :one
SELECT * FROM tickets WHERE id = $1;

-- name: WithTx :exec
DELETE FROM tickets;

-- name: ListTickets :many
SELECT * FROM tickets;

