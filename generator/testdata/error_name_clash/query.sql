-- name: Ticket :many
SELECT id, title FROM tickets;

-- name: MoveTicket :exec
UPDATE tickets SET title = $1 WHERE body = $2;
