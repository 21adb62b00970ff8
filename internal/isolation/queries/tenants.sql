-- name: CreateTenant :exec
INSERT INTO tenants (id, schema_name) VALUES ($1, $2);
