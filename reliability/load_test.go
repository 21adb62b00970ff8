package reliability_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/internal/isolation/workload"
	"github.com/tenantc/tenantc/internal/pgtest"
)

// TestLoad runs the mixed workload of loadSize over its tenants, directly
// and through PgBouncer in transaction mode, and fails on any error, any
// row of another tenant read or written, or any row lost.
func TestLoad(t *testing.T) {
	t.Parallel()
	sz := loadSize()
	pg := pgtest.New(t)
	ctx := context.Background()
	start := time.Now()
	if err := setup(ctx, pg.Pool, sz.tenants); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s size: %d tenants created in %v", sz.name, sz.tenants, time.Since(start).Round(time.Millisecond))

	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
		mode pgx.QueryExecMode
	}{
		{"direct", func(*testing.T) string { return pg.URL }, pgx.QueryExecModeCacheStatement},
		// PgBouncer before 1.21 keeps no prepared statements in
		// transaction mode: apps use cache_describe behind it.
		{"pgbouncer", func(t *testing.T) string { return pgtest.PgBouncer(t, pg.URL) }, pgx.QueryExecModeCacheDescribe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := pgtest.Connect(t, tc.url(t), pgtest.WithExecMode(tc.mode), pgtest.WithMaxConns(int32(sz.workers)))
			if err := reset(ctx, pool, sz.tenants); err != nil {
				t.Fatal(err)
			}
			tenants, err := lookupTenants(ctx, pool, sz.tenants)
			if err != nil {
				t.Fatal(err)
			}
			l := workload.New(pool, tenants)
			start := time.Now()
			l.Run(ctx, workload.RunOptions{Workers: sz.workers, Ops: sz.ops, MaxErrors: 20, Seed: 1})
			elapsed := time.Since(start)
			t.Logf("%s, mode %s, %d tenants, %d goroutines, %v (%.0f ops/s): %s", tc.name, pgtest.ModeName(tc.mode),
				sz.tenants, sz.workers, elapsed.Round(time.Millisecond), float64(l.Done())/elapsed.Seconds(), l.Summary())
			if n := l.Errors(); n > 0 {
				t.Errorf("%d operations failed", n)
			}
			if done := l.Done(); !t.Failed() && done < int64(sz.ops) {
				t.Errorf("ran %d operations, want %d", done, sz.ops)
			}
			rows := l.Verify(t, ctx)
			if t.Failed() {
				return
			}
			t.Logf("verified %d rows in %d tenant schemas: 0 foreign, 0 lost", rows, sz.tenants)
		})
	}
}
