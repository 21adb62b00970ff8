-- name: GetTicket :one
SELECT * FROM tickets WHERE id = $1;

-- name: ListTickets :many
SELECT id, status, title FROM tickets WHERE status = $1 ORDER BY id;

-- name: GetPlan :one
SELECT * FROM plans WHERE id = $1;

-- name: SearchTickets :many
SELECT t.id, t.title, p.name, p.api_url FROM tickets t JOIN plans p ON p.id = t.plan_id
WHERE t.plan_id = $1 AND t.status = $2 AND t.title LIKE $3;

-- name: CreateTicket :one
INSERT INTO tickets (plan_id, title) VALUES ($1, $2) RETURNING id;
