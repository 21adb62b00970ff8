-- name: GetCustomer :one
SELECT id, name, email, country_code, created_at FROM customers
WHERE id = $1;

-- name: ListCustomerOrders :many
SELECT o.id, o.total_cents, o.status, c.name AS currency_name
FROM orders o
JOIN currencies c ON c.code = o.currency_code
WHERE o.customer_id = $1
ORDER BY o.id;

-- name: InsertOrder :one
INSERT INTO orders (customer_id, currency_code, total_cents, status)
VALUES ($1, $2, $3, 'open')
RETURNING id;

-- name: GetSetting :one
SELECT value FROM settings WHERE key = $1;
