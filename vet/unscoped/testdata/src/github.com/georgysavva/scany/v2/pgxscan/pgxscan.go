// Package pgxscan is a stub of github.com/georgysavva/scany/v2/pgxscan.
package pgxscan

import (
	"context"

	"github.com/jackc/pgx/v5"
)

type Querier interface {
	Query(ctx context.Context, query string, args ...interface{}) (pgx.Rows, error)
}

func Select(ctx context.Context, db Querier, dst interface{}, query string, args ...interface{}) error {
	return nil
}
func Get(ctx context.Context, db Querier, dst interface{}, query string, args ...interface{}) error {
	return nil
}
func ScanAll(dst interface{}, rows pgx.Rows) error { return nil }
