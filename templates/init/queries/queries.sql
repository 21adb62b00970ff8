-- name: ListPlans :many
-- ListPlans reads only shared tables, so it is a method of Queries (and of
-- TenantQueries).
SELECT * FROM plans
ORDER BY price_cents;

-- name: GetTicket :one
-- GetTicket reads a tenant table, so it is a method of TenantQueries only
-- and runs in the schema of the tenant its connection is bound to.
SELECT * FROM tickets
WHERE id = $1;

-- name: CreateTicket :one
INSERT INTO tickets (title, plan_id)
VALUES (@title, @plan_id)
RETURNING *;

-- name: CloseTicket :execrows
UPDATE tickets SET status = 'closed'
WHERE id = $1;
