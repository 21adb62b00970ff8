package pgtest

import (
	"context"
	"errors"
	"testing"

	"github.com/tenantc/tenantc/internal/pgserver"
)

// BouncerOption configures [PgBouncer].
type BouncerOption func(*pgserver.BouncerOptions)

// WithMaxPreparedStatements sets PgBouncer's max_prepared_statements, which
// makes it track protocol-level prepared statements in transaction mode
// (PgBouncer 1.21 and later; see [PgBouncerVersion]). Without it, named
// prepared statements do not survive a transaction.
func WithMaxPreparedStatements(n int) BouncerOption {
	return func(c *pgserver.BouncerOptions) { c.MaxPreparedStatements = n }
}

// WithDefaultPoolSize sets PgBouncer's default_pool_size: how many server
// connections it opens per database and user.
func WithDefaultPoolSize(n int) BouncerOption {
	return func(c *pgserver.BouncerOptions) { c.DefaultPoolSize = n }
}

// PgBouncer starts a PgBouncer in transaction pool mode in front of the
// server of dbURL and returns the URL of the same database through it. It
// listens on a free 127.0.0.1 port (max_client_conn 200, default_pool_size
// 20) and stops when tb's test ends. Without a pgbouncer binary it skips tb,
// or fails it when CI=true. Code without a testing.TB uses
// [pgserver.StartPgBouncer].
func PgBouncer(tb testing.TB, dbURL string, opts ...BouncerOption) string {
	tb.Helper()
	var cfg pgserver.BouncerOptions
	for _, o := range opts {
		o(&cfg)
	}
	b, err := pgserver.StartPgBouncer(context.Background(), dbURL, cfg)
	if errors.Is(err, pgserver.ErrNoPgBouncer) {
		skipOrFail(tb, err)
	}
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(b.Stop)
	return b.URL()
}

// PgBouncerVersion returns the major and minor version of the installed
// pgbouncer, skipping tb (failing it when CI=true) when there is none.
func PgBouncerVersion(tb testing.TB) (major, minor int) {
	tb.Helper()
	major, minor, err := pgserver.PgBouncerVersion()
	if errors.Is(err, pgserver.ErrNoPgBouncer) {
		skipOrFail(tb, err)
	}
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	return major, minor
}

// skipOrFail skips tb for a missing binary, or fails it when CI=true.
func skipOrFail(tb testing.TB, err error) {
	tb.Helper()
	if inCI() {
		tb.Fatal(err)
	}
	tb.Skip(err)
}
