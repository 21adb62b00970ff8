-- name: FindTickets :many
SELECT id, title FROM tickets
WHERE title = sqlc.arg(title)
  AND (sqlc.narg(assignee)::text IS NULL OR assignee = sqlc.narg(assignee));

-- name: TicketsByIDs :many
SELECT * FROM tickets WHERE id = ANY(sqlc.slice('ids'));

-- name: RetitleTicket :exec
UPDATE tickets SET title = @new_title WHERE id = @ticket_id;

-- name: TicketsWithPlan :many
SELECT sqlc.embed(t), sqlc.embed(p)
FROM tickets t JOIN plans p ON p.id = t.plan_id
WHERE p.id = @plan_id;

-- name: CountByAssignee :one
SELECT count(*) FROM tickets WHERE assignee = sqlc.narg('assignee');

-- name: TicketIDsWithLabel :many
SELECT id FROM tickets WHERE @label::text = ANY(labels);
