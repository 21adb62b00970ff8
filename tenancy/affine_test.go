package tenancy_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

func TestAffinePool(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 10
	ap, err := tenancy.NewAffinePool(ctx, cfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer ap.Close()

	shards := ap.Shards()
	if len(shards) != 4 {
		t.Fatalf("Shards() has %d pools, want 4", len(shards))
	}
	var total int32
	for i, s := range shards {
		n := s.Config().MaxConns
		if n < 2 || n > 3 {
			t.Errorf("shard %d MaxConns = %d, want 2 or 3", i, n)
		}
		total += n
	}
	if total != cfg.MaxConns {
		t.Errorf("shards hold %d connections, want %d", total, cfg.MaxConns)
	}

	used := map[*pgxpool.Pool]int{}
	for i := range 200 {
		id := fmt.Sprintf("t%03d", i)
		p := ap.For(tenancy.NewTenantForTest(t, id, "tenant_"+id))
		if again := ap.For(tenancy.NewTenantForTest(t, id, "tenant_"+id)); again != p {
			t.Fatalf("For(%s) changed between calls", id)
		}
		used[p]++
	}
	for i, s := range shards {
		if used[s] < 20 {
			t.Errorf("shard %d serves %d of 200 tenants, want a fair share", i, used[s])
		}
	}
	if ap.For(tenancy.Tenant{}) != shards[0] {
		t.Error("For(zero Tenant) is not the first shard")
	}

	tn := tenancy.NewTenantForTest(t, "acme", "tenant_acme")
	c := ap.Bind(tn)
	if c.Tenant() != tn {
		t.Errorf("Bind(acme).Tenant() = %v", c.Tenant())
	}
	var one int
	if err := c.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("query through Bind(acme) = %d, %v", one, err)
	}
	if got := ap.Bind(tenancy.Tenant{}); got != (tenancy.Conn{}) {
		t.Error("Bind(zero Tenant) is not the unbound Conn")
	}
}

func TestNewAffinePoolShards(t *testing.T) {
	cfg, err := pgxpool.ParseConfig("postgres://127.0.0.1:1/x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tenancy.NewAffinePool(context.Background(), cfg, 0); err == nil {
		t.Error("NewAffinePool(0 shards) succeeded")
	}
}
