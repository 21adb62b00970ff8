-- name: CreateProduct :one
INSERT INTO products (name, price_cents, tags, attributes)
VALUES (@name, @price_cents, @tags, sqlc.narg(attributes))
RETURNING *;

-- name: GetProduct :one
SELECT * FROM products WHERE id = $1;

-- name: ListProducts :many
-- Products of the current shop, cheapest first.
SELECT * FROM products ORDER BY price_cents, id;

-- name: ImportProducts :copyfrom
INSERT INTO products (name, price_cents, tags) VALUES ($1, $2, $3);

-- name: RenameProducts :batchexec
UPDATE products SET name = @name WHERE id = @id;

-- name: UpdateProduct :one
UPDATE products SET name = @name, price_cents = @price_cents, tags = @tags
WHERE id = @id
RETURNING *;

-- name: DeleteProduct :execrows
DELETE FROM products WHERE id = $1;
