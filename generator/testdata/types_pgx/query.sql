-- name: GetSample :one
SELECT * FROM samples WHERE id = $1;

-- name: NearestSamples :many
SELECT id, embedding FROM samples WHERE embedding_null IS NOT NULL ORDER BY id LIMIT $1;

-- name: SamplesInBlock :many
SELECT id, addr FROM samples WHERE addr << $1::cidr AND names && $2::text[];

-- name: SetAttrs :exec
UPDATE samples SET attrs = $1, path_tree = $2 WHERE id = $3;
