-- name: ListSamples :many
SELECT * FROM samples WHERE lvl = $1;
