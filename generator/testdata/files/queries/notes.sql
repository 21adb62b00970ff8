-- name: NotesWithTicks :many
-- NotesWithTicks finds notes that quote code
-- with `backticks`.
SELECT id, body FROM notes WHERE body LIKE '%`%';

-- name: AddNote :one
INSERT INTO notes (body) VALUES ($1) RETURNING *;
