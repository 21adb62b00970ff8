-- name: CreateUser :one
INSERT INTO users (email, password_hash)
VALUES ($1, $2)
RETURNING *;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: CreateShop :one
INSERT INTO shops (id, schema_name, name, owner_id)
VALUES (@id, @schema_name, @name, @owner_id)
RETURNING *;

-- name: ListShops :many
SELECT * FROM shops ORDER BY id;
