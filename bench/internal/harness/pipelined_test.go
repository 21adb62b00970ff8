package harness

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/tenantc/tenantc/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestPipeHomeRunsEachCallForItsTenant runs 8 clients' calls for random
// tenants through one home, queued calls in turn and in batches, and
// checks that every call got its own tenant's row.
func TestPipeHomeRunsEachCallForItsTenant(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	const tenants = 6
	sqls := make([]string, tenants)
	for i := range tenants {
		schema := fmt.Sprintf("tenant_p%d", i)
		pgtest.MustExec(t, db.Pool,
			"CREATE SCHEMA "+schema,
			"CREATE TABLE "+schema+".items (id bigint PRIMARY KEY, plan_id bigint NOT NULL, name text NOT NULL, qty int NOT NULL, note text NOT NULL)",
			fmt.Sprintf("INSERT INTO %s.items SELECT g, 1, 'item', 1, 'p%d' FROM generate_series(1, %d) g", schema, i, fleetItems))
		sqls[i] = "SELECT id, plan_id, name, qty, note FROM " + schema + ".items WHERE id = $1"
	}
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch=%v", batch), func(t *testing.T) {
			conn, err := pgx.Connect(ctx, db.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			h := &pipeHome{conn: conn, batch: batch}
			var g errgroup.Group
			for w := range 8 {
				g.Go(func() error {
					r := rand.New(rand.NewPCG(uint64(w), 1))
					c := &pipeCall{done: make(chan bool, 1)}
					for range 300 {
						i := r.IntN(tenants)
						c.sql, c.tenant, c.id, c.err = sqls[i], fmt.Sprintf("p%d", i), r.Int64N(fleetItems)+1, nil
						if err := h.do(ctx, c); err != nil {
							return fmt.Errorf("tenant %s: %w", c.tenant, err)
						}
					}
					return nil
				})
			}
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
			if n := h.batched.Load(); batch != (n > 0) {
				t.Errorf("%d calls ran in batches, batch=%v", n, batch)
			}
			if h.busy || len(h.pending) != 0 {
				t.Errorf("home left busy=%v with %d calls pending", h.busy, len(h.pending))
			}
		})
	}
}
