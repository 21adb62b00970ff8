-- name: GetNews :one
SELECT * FROM news WHERE id = $1;

-- name: JsonBuildArray :one
SELECT json_build_array(uri, utc_offset) FROM news WHERE api_url = $1;

-- name: NewsByURL :many
SELECT id, api_url, author_uuid FROM news WHERE api_url = $1 AND utc_offset = $2;

-- name: CreateKey :exec
INSERT INTO api_keys (news_id, json_body) VALUES ($1, $2);
