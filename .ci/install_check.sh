#!/usr/bin/env bash
# Follows the README's Install section literally, in a fresh module outside
# the checkout: go get -tool with a replace to this checkout, go tool
# tenantc init and generate, the //go:generate line, then build and vet
# the app, whose runtime must build without cgo.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# tenantc is not on the module proxy CI reaches, which answers 403 rather
# than 404 for a module it does not serve: "|off" lets the go command fall
# through to the replace instead of stopping there.
proxies="$(go env GOPROXY | sed -e 's/,direct$//' -e 's/,/|/g')"
export GOPROXY="${INSTALL_CHECK_GOPROXY:-$proxies|off}"
export GOFLAGS=-mod=mod

echo "== install: go get -tool"
go mod init example.com/app
go mod edit -replace github.com/tenantc/tenantc="$repo"
go get -tool github.com/tenantc/tenantc/cmd/tenantc

echo "== install: go tool tenantc init, generate, build"
go tool tenantc init
go tool tenantc generate
go build ./...

echo "== install: the //go:generate line, from a subdirectory"
cat > internal/db/generate.go <<'GO'
package db

//go:generate go tool tenantc generate
GO
rm internal/db/models.go
go generate ./...
test -f internal/db/models.go
go tool tenantc diff

echo "== install: an app on the runtime, without cgo"
mkdir -p cmd/app
cat > cmd/app/main.go <<'GO'
package main

import (
	"context"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tenantc/tenantc/tenancy"

	"example.com/app/internal/db"
)

func main() {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	pool, err := tenancy.NewPool(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer pool.Close()
	reg := db.NewRegistry(pool)
	t, err := reg.Lookup(ctx, "acme")
	if err != nil {
		panic(err)
	}
	_, _ = db.NewTenant(pool.Bind(t)).GetTicket(ctx, 1)
}
GO
CGO_ENABLED=0 go build ./cmd/app ./internal/...
go vet ./...
echo "install check: ok"
