-- name: InsertItem :one
INSERT INTO items (tenant, n, note)
VALUES ($1, $2, $3)
RETURNING *;

-- name: GetItem :one
SELECT * FROM items
WHERE id = $1;

-- name: ListItems :many
SELECT * FROM items
ORDER BY id
LIMIT $1;

-- name: BumpItem :one
UPDATE items SET n = n + 1
WHERE id = $1
RETURNING *;

-- name: DeleteItem :execrows
DELETE FROM items
WHERE id = $1;

-- name: CountItems :one
SELECT count(*) FROM items
WHERE tenant = $1;

-- name: InsertItemsBatch :batchexec
INSERT INTO items (tenant, n, note)
VALUES ($1, $2, $3);

-- name: GetItemsBatch :batchone
SELECT * FROM items
WHERE id = $1;

-- name: CopyItems :copyfrom
INSERT INTO items (tenant, n, note) VALUES ($1, $2, $3);
