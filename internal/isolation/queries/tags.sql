-- name: AddTag :execrows
-- Tags an item with its own tenant marker: INSERT … SELECT within the
-- tenant's schema.
INSERT INTO tags (item_id, tenant, tag)
SELECT id, tenant, @tag FROM items
WHERE id = @id;

-- name: ListItemTags :many
-- Joins two tenant tables and the shared registry: the item's tenant
-- marker must name the registry row of the schema it was read from. LEFT
-- JOIN, so that a row with an unknown marker is still returned.
SELECT i.id, i.tenant, t.tenant, t.tag, r.schema_name
FROM items i
JOIN tags t ON t.item_id = i.id
LEFT JOIN tenants r ON r.id = i.tenant
WHERE i.id >= $1
ORDER BY i.id, t.tag
LIMIT 20;
