-- name: ListTasks :many
SELECT * FROM tasks WHERE state = $1;
