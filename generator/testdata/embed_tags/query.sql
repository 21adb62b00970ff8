-- name: KeysWithUsers :many
SELECT sqlc.embed(api_keys), sqlc.embed(users)
FROM api_keys JOIN users ON users.id = api_keys.user_id;
