package pgtest_test

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/tenantc/tenantc/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestNewGivesSeparateDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.New(t), pgtest.New(t)
	if a.Name == b.Name || a.URL == b.URL {
		t.Fatalf("two databases share a name: %q, %q", a.Name, b.Name)
	}
	if _, err := a.Pool.Exec(ctx, "CREATE TABLE only_in_a (id int)"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := a.Pool.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != a.Name {
		t.Errorf("current_database() = %q, want %q", name, a.Name)
	}
	var n int
	err := b.Pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("table created in %s is visible in %s", a.Name, b.Name)
	}
}

func TestDatabaseDroppedAtCleanup(t *testing.T) {
	var name string
	t.Run("create", func(t *testing.T) { name = pgtest.New(t).Name })
	admin, err := pgx.Connect(context.Background(), pgtest.Get(t).AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	var n int
	if err := admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestServerSettings(t *testing.T) {
	if pgtest.Get(t) == nil {
		t.Fatal("Get returned nil")
	}
	db := pgtest.New(t)
	for setting, want := range map[string]string{"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"} {
		var got string
		if err := db.Pool.QueryRow(context.Background(), "SELECT current_setting($1)", setting).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want && os.Getenv(pgtest.EnvURL) == "" {
			t.Errorf("%s = %s, want %s", setting, got, want)
		}
	}
}

func TestPgBouncerTransactionMode(t *testing.T) {
	db := pgtest.New(t)
	u := pgtest.PgBouncer(t, db.URL)
	if u == db.URL {
		t.Fatal("PgBouncer returned the server URL")
	}
	pgtest.RunWithQueryExecModes(t, func(t *testing.T, mode pgx.QueryExecMode) {
		pool := pgtest.Connect(t, u, pgtest.WithExecMode(mode))
		var name string
		if err := pool.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		if name != db.Name {
			t.Errorf("through PgBouncer current_database() = %q, want %q", name, db.Name)
		}
		// The server sees PgBouncer's connection, not the client's port.
		var serverPort int
		if err := pool.QueryRow(context.Background(), "SELECT inet_server_port()").Scan(&serverPort); err != nil {
			t.Fatal(err)
		}
		if bouncer, _ := url.Parse(u); bouncer.Port() == strconv.Itoa(serverPort) {
			t.Errorf("server port %d is the PgBouncer port", serverPort)
		}
	}, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol)
}

func TestPgBouncerVersion(t *testing.T) {
	major, minor := pgtest.PgBouncerVersion(t)
	if major < 1 {
		t.Errorf("PgBouncerVersion() = %d.%d", major, minor)
	}
}

func TestModeName(t *testing.T) {
	want := []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"}
	for i, mode := range pgtest.ExecModes() {
		if got := pgtest.ModeName(mode); got != want[i] {
			t.Errorf("ModeName(%v) = %q, want %q", mode, got, want[i])
		}
	}
}
