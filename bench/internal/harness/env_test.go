package harness

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

// A fleet reused with -fleet-url gets back the tables earlier runs' writes
// grew: P2 compares the fleet with its first tenant, whose bloated table
// the planner gave an index scan while every other tenant's got a
// sequential scan.
func TestReusedFleetIsFreshened(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	open := func() *harness {
		h := &harness{o: Options{Tenants: 3, Clients: 2, FleetTables: "core", FleetURL: db.URL}, schemaFS: os.DirFS("../.."), log: io.Discard}
		t.Cleanup(h.close)
		if err := h.fleet(ctx); err != nil {
			t.Fatal(err)
		}
		return h
	}
	h := open()
	size := func(tn tenancy.Tenant) int64 {
		t.Helper()
		var n int64
		if err := db.Pool.QueryRow(ctx, "SELECT pg_relation_size(format('%I.items', $1::text)::regclass)", tn.Schema()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	first, other := h.tenants[0], h.tenants[1]
	fresh := size(other)
	// P8's writes, in short: every row updated again and again while
	// other transactions run, so that no page can be pruned.
	items := first.Schema() + ".items"
	holder, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM "+items); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		pgtest.MustExec(t, db.Pool, "UPDATE "+items+" SET qty = qty + 1")
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	pgtest.MustExec(t, db.Pool, "ANALYZE "+items)
	if size(first) <= fresh {
		t.Fatalf("%s holds %d bytes after the updates, the fleet's %d: the test does not test", items, size(first), fresh)
	}
	if note, err := h.samePlan(ctx); err != nil {
		t.Fatal(err)
	} else if note == "plan Seq Scan, as the fleet's" {
		t.Fatalf("the bloated table has the fleet's plan (%s): the test does not test", note)
	}

	h = open()
	if got := size(first); got != fresh {
		t.Errorf("after the fleet's reuse %s holds %d bytes, want the fleet's %d", items, got, fresh)
	}
	if note, err := h.samePlan(ctx); err != nil {
		t.Fatal(err)
	} else if note != "plan Seq Scan, as the fleet's" {
		t.Errorf("after the fleet's reuse: %s, want the fleet's plan", note)
	}
}
