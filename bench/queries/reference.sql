-- name: GetCurrency :one
SELECT code, name, decimals FROM currencies WHERE code = $1;

-- name: IsFeatureEnabled :one
SELECT enabled FROM feature_flags WHERE name = $1;
