-- name: GetTicket :one
-- Fetch one ticket.
SELECT * FROM tickets WHERE id = $1;
-- name: ListByIDs :many
SELECT id, title FROM tickets WHERE id = ANY(sqlc.slice('ids')) AND status = sqlc.narg('status');
-- name: TicketWithPlan :many
SELECT sqlc.embed(t), sqlc.embed(p), p.name FROM tickets t JOIN plans p ON p.id = t.plan_id WHERE t.title = @title;
-- name: CopyTickets :copyfrom
INSERT INTO tickets (plan_id, status, title) VALUES ($1, $2, $3);
-- name: Count :one
SELECT count(*) FROM tickets;
