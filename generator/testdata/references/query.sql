-- name: MembersWithPlan :many
SELECT m.id, m.email, p.name AS plan_name
FROM members m JOIN plans p ON p.id = m.plan_id;

-- name: BigSpenders :many
WITH totals AS (
  SELECT member_id, sum(total) AS total FROM invoices GROUP BY member_id
)
SELECT m.email, t.total FROM totals t JOIN members m ON m.id = t.member_id;

-- name: MembersWithInvoices :many
SELECT email FROM members WHERE id IN (SELECT member_id FROM invoices);

-- name: MovePlanMembers :execrows
UPDATE members SET plan_id = p.id FROM plans p WHERE p.name = $1 AND members.plan_id = $2;

-- name: DeleteArchived :exec
DELETE FROM members USING archived_members a WHERE members.id = a.id;

-- name: ArchiveMembers :exec
INSERT INTO archived_members (id, email) SELECT id, email FROM members WHERE plan_id = $1;

-- name: MembersByRole :many
SELECT id, email FROM members WHERE role = $1::member_role;

-- name: NextInvoiceNumber :one
SELECT nextval('invoice_numbers')::bigint AS number;

-- name: CountMembers :one
SELECT member_count() AS total;

-- name: PlanSeats :one
SELECT max_seats FROM plans WHERE id = $1;

-- name: MemberAndPlanIDs :many
SELECT m.id, p.id, m.email FROM members m JOIN plans p ON p.id = m.plan_id;
