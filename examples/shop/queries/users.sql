-- name: CreateUser :one
INSERT INTO users (email, password_hash)
VALUES ($1, $2)
RETURNING *;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = $1;

-- name: ListShops :many
-- The registry: one row per shop (tenant), inserted by migrate.CreateTenant
-- with the shop's schema in one transaction, never by a query here.
SELECT * FROM shops ORDER BY id;

-- name: GetShop :one
SELECT * FROM shops WHERE id = $1;
