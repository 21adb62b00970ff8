-- name: Totals :one
SELECT sum(id) AS id_sum, sum(priority) AS priority_sum, avg(estimate) AS mean FROM tickets;

-- name: Bucket :many
SELECT priority / 10 AS bucket, count(*) AS n FROM tickets GROUP BY 1 ORDER BY 1;
