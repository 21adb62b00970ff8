-- name: GetPlan :one
SELECT * FROM plans WHERE id = $1;

-- name: ListPlans :many
SELECT * FROM plans ORDER BY id;

-- name: ImportPlans :copyfrom
INSERT INTO plans (id, name) VALUES ($1, $2);

-- name: GetTicket :one
-- GetTicket reads one ticket.
SELECT * FROM tickets WHERE id = $1;

-- name: SearchTickets :many
SELECT id, title FROM tickets WHERE priority >= $1 AND title LIKE $2 ORDER BY id;

-- name: CreateTicket :one
INSERT INTO tickets (plan_id, title, priority) VALUES ($1, $2, $3) RETURNING id, title;

-- name: CloseTicket :exec
DELETE FROM tickets WHERE id = $1;

-- name: DeleteLow :execrows
DELETE FROM tickets WHERE priority < $1;

-- name: Reprioritize :execresult
UPDATE tickets SET priority = $1 WHERE id = $2;

-- name: ImportTickets :copyfrom
INSERT INTO tickets (plan_id, title, priority) VALUES ($1, $2, $3);

-- name: BumpTickets :batchexec
UPDATE tickets SET priority = priority + 1 WHERE id = $1;

-- name: TicketsAbove :batchmany
SELECT id, title FROM tickets WHERE priority > $1 AND plan_id = $2;

-- name: CreateTickets :batchone
INSERT INTO tickets (plan_id, title, priority) VALUES ($1, $2, $3) RETURNING *;
