-- name: GetTicket :one
SELECT * FROM tickets WHERE id = $1;

-- name: TitleByMood :many
SELECT title FROM tickets WHERE mood = $1;
