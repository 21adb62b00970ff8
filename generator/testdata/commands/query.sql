-- name: GetTicket :one
SELECT * FROM tickets WHERE id = $1;

-- name: ListTickets :many
SELECT * FROM tickets WHERE priority >= $1 ORDER BY id;

-- name: CloseTicket :exec
UPDATE tickets SET closed = true WHERE id = $1;

-- name: DeleteClosed :execrows
DELETE FROM tickets WHERE closed;

-- name: Reprioritize :execresult
UPDATE tickets SET priority = $1 WHERE id = $2;

-- name: ImportTickets :copyfrom
INSERT INTO tickets (title, priority) VALUES ($1, $2);

-- name: CloseTickets :batchexec
UPDATE tickets SET closed = true WHERE id = $1;

-- name: TicketsAbove :batchmany
SELECT id, title FROM tickets WHERE priority > $1;

-- name: TicketTitle :batchone
SELECT title FROM tickets WHERE id = $1;

-- name: CreateTickets :batchone
INSERT INTO tickets (title, priority) VALUES ($1, $2) RETURNING *;

-- name: EchoTitle :one
SELECT title FROM tickets WHERE title = $1;
