-- name: GetEverything :one
SELECT * FROM everything WHERE id = $1;

-- name: InsertEverything :exec
INSERT INTO everything (small, double_num, code, seen_tz, uid, docb, net, matrix, mood_required)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: Moods :many
SELECT mood, moods FROM everything WHERE docb @> $1;

-- name: Docs :many
SELECT doc, docb FROM everything WHERE uid = $1 AND tags && $2::text[];
