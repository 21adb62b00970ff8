-- name: AddNote :exec
INSERT INTO notes (body) VALUES ($1);
