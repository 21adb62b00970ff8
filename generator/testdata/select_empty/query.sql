-- name: GetBars :many
SELECT FROM bar LIMIT 5;

-- name: AnyBar :one
SELECT FROM bar WHERE id = $1;

-- name: AnyPlan :one
SELECT FROM plans LIMIT 1;

-- name: TouchBar :one
SELECT touch_bar($1);

-- name: Sleep :exec
SELECT pg_sleep(0);

-- name: SleepOne :one
SELECT pg_sleep($1);
