-- name: ImportPlans :copyfrom
INSERT INTO plans (name, price) VALUES ($1, $2);

-- name: ImportNames :copyfrom
INSERT INTO plans (name) VALUES ($1);

-- name: PlanNames :batchmany
SELECT name FROM plans WHERE price > $1;

-- name: DeletePlans :batchexec
DELETE FROM plans WHERE id = $1;

-- name: GetPlans :batchone
SELECT * FROM plans WHERE id = $1;

-- name: ListNotes :many
SELECT * FROM notes;
