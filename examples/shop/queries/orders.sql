-- name: PlaceOrder :one
INSERT INTO orders (product_id, buyer_id, quantity)
VALUES ($1, $2, $3)
RETURNING *;

-- name: SetOrderStatus :execrows
UPDATE orders SET status = @status::order_status WHERE id = @id;

-- name: ListOrders :many
-- Orders with their product and buyer; users is shared, the rest is the shop's own.
SELECT o.id, o.quantity, o.status, p.name AS product, u.email AS buyer,
       o.quantity * p.price_cents AS total_cents
FROM orders o
JOIN products p ON p.id = o.product_id
JOIN users u ON u.id = o.buyer_id
ORDER BY o.id;

-- name: Revenue :one
WITH paid AS (
    SELECT o.quantity * p.price_cents AS cents
    FROM orders o JOIN products p ON p.id = o.product_id
    WHERE o.status IN ('paid', 'shipped')
)
SELECT count(*) AS orders, coalesce(sum(cents), 0)::bigint AS cents FROM paid;

-- name: GetOrder :one
SELECT * FROM orders WHERE id = $1;

-- name: DeleteOrder :execrows
DELETE FROM orders WHERE id = $1;
