-- name: ListPosts :many
SELECT * FROM posts;

-- name: PostsByIDs :many
SELECT id FROM posts WHERE id = ANY(sqlc.slice(ids)::bigint[]);
