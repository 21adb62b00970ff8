-- name: GetBook :one
SELECT * FROM books WHERE id = $1;

-- name: ListBooksByAuthor :many
SELECT id, title FROM books WHERE author_id = $1 ORDER BY id;

-- name: CreateBook :exec
INSERT INTO books (id, author_id, title, isbn) VALUES ($1, $2, $3, $4);

-- name: BooksByIDs :many
SELECT id, isbn FROM books WHERE id = ANY(sqlc.slice(ids)::bigint[]);
