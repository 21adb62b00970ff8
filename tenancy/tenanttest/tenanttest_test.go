package tenanttest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

func TestMain(m *testing.M) { tenanttest.Main(m) }

var (
	addNote   = tenancy.NewSQL("INSERT INTO notes (body) VALUES ($1)", 12)
	noteCount = tenancy.NewSQL("SELECT count(*) FROM notes", 21)
)

func count(t *testing.T, c tenancy.Conn) int {
	t.Helper()
	var n int
	if err := c.QueryRow(context.Background(), c.SQL(noteCount)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNew(t *testing.T) {
	var url string
	t.Run("env", func(t *testing.T) {
		env := tenanttest.New(t, tenanttest.WithConfigFile("testdata/app/tenantc.yaml"), tenanttest.WithTenants("acme", "globex"))
		url = env.URL
		ctx := context.Background()

		acme := env.Tenant("acme")
		if acme.Schema() != "t_acme" {
			t.Errorf("acme's schema = %q, want t_acme (the config's pattern)", acme.Schema())
		}
		c := env.Conn("acme")
		if _, err := c.Exec(ctx, c.SQL(addNote), "hello"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, env.Conn("acme")); n != 1 {
			t.Errorf("acme has %d notes, want 1", n)
		}
		if n := count(t, env.Conn("globex")); n != 0 {
			t.Errorf("globex has %d notes, want 0", n)
		}
		if got, ok := tenancy.FromContext(env.Context("globex")); !ok || got.ID() != "globex" {
			t.Errorf("Context(globex) carries %v, %v", got, ok)
		}

		later := env.CreateTenant("initech")
		if n := count(t, tenancy.Bind(env.Pool, later)); n != 0 {
			t.Errorf("new tenant has %d notes", n)
		}
		env.DropTenant("globex")
		if _, err := env.Registry.Lookup(ctx, "globex"); !errors.Is(err, tenancy.ErrUnknownTenant) {
			t.Errorf("Lookup(globex) after DropTenant: %v, want ErrUnknownTenant", err)
		}
		var schemas []string
		rows, err := env.Pool.Query(ctx, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%' ORDER BY 1")
		if err == nil {
			schemas, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(schemas) != 2 || schemas[0] != "t_acme" || schemas[1] != "t_initech" {
			t.Errorf("tenant schemas = %v, want [t_acme t_initech]", schemas)
		}
	})
	if url == "" {
		t.Fatal("no database")
	}
	// The database is gone with its test.
	pool, err := pgxpool.New(context.Background(), url)
	if err == nil {
		err = pool.Ping(context.Background())
		pool.Close()
	}
	if err == nil {
		t.Error("the test's database still exists after the test")
	}
}

func TestTenantCountAndPoolConfig(t *testing.T) {
	env := tenanttest.New(t,
		tenanttest.WithConfigFile("testdata/app/tenantc.yaml"),
		tenanttest.WithTenantCount(3),
		tenanttest.WithPoolConfig(func(c *pgxpool.Config) {
			c.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
		}))
	for _, id := range []string{"t1", "t2", "t3"} {
		if n := count(t, env.Conn(id)); n != 0 {
			t.Errorf("%s has %d notes", id, n)
		}
	}
	if m := env.Pool.Config().ConnConfig.DefaultQueryExecMode; m != pgx.QueryExecModeSimpleProtocol {
		t.Errorf("exec mode = %v, want simple protocol", m)
	}
}

func TestNewTenant(t *testing.T) {
	tn := tenanttest.NewTenant(t, "acme", "tenant_acme")
	if tn.ID() != "acme" || tn.Schema() != "tenant_acme" || tn.Server() != "" {
		t.Errorf("NewTenant = %v (server %q), want acme in tenant_acme on no named server", tn, tn.Server())
	}
}

// fatalRecorder records Fatalf instead of stopping the test, to check that
// NewTenant rejects bad input.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (r *fatalRecorder) Helper()               {}
func (r *fatalRecorder) Fatalf(string, ...any) { r.failed = true }
func (r *fatalRecorder) Fatal(...any)          { r.failed = true }
func (r *fatalRecorder) Errorf(string, ...any) { r.failed = true }

func TestNewTenantRejectsInvalid(t *testing.T) {
	for _, in := range [][2]string{{"Acme", "tenant_acme"}, {"acme", "pg_acme"}, {"", "s"}, {"acme", `x"y`}} {
		r := &fatalRecorder{TB: t}
		got := tenanttest.NewTenant(r, in[0], in[1])
		if !r.failed {
			t.Errorf("NewTenant(%q, %q) did not fail the test", in[0], in[1])
		}
		if !got.IsZero() {
			t.Errorf("NewTenant(%q, %q) = %v, want zero", in[0], in[1], got)
		}
	}
}
