// Package pgtest gives tests a real, throwaway PostgreSQL.
//
// The first test that asks starts one server per test binary with
// [pgserver.Start]: initdb into a temporary directory, durability off (fsync,
// synchronous_commit, full_page_writes), max_connections 300,
// max_locks_per_transaction 256, listening on a unix socket in that
// directory and on a free TCP port on 127.0.0.1. Each test then gets its own
// database, dropped when the test ends:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) } // stops the server at exit
//
//	func TestX(t *testing.T) {
//		db := pgtest.New(t) // db.Pool, db.URL
//		...
//	}
//
// With TENANTC_TEST_DATABASE_URL set (a postgres:// URL of a role that may
// create databases), that server is used instead and nothing is started.
// When no PostgreSQL binaries are found, tests are skipped — or fail when
// CI=true, so that CI never passes without a database.
//
// Code without a testing.TB, such as a testscript Setup, uses [Start] and
// [Server.CreateDatabase] directly:
//
//	srv, err := pgtest.Start() // errors.Is(err, pgtest.ErrNoPostgres): skip unless CI=true
//	dbURL, drop, err := srv.CreateDatabase(ctx)
//	env.Setenv("DATABASE_URL", dbURL)
//	env.Defer(func() { drop(context.Background()) })
//
// [PgBouncer] puts a PgBouncer in transaction pool mode in front of a
// database, and [RunWithQueryExecModes] runs a test under every pgx query
// exec mode.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/internal/pgserver"
)

// EnvURL names the environment variable that points tests at an existing
// server instead of a throwaway one.
const EnvURL = "TENANTC_TEST_DATABASE_URL"

// ErrNoPostgres is returned by [Start] when TENANTC_TEST_DATABASE_URL is
// unset and no PostgreSQL server binaries are installed. It is
// [pgserver.ErrNoPostgres]; test with errors.Is.
var ErrNoPostgres = pgserver.ErrNoPostgres

// server is the one server of this test binary. A package-level value is the
// point: every test in the binary shares one postmaster, started on first
// use and stopped by [Stop].
var server struct {
	once sync.Once
	srv  *Server
	err  error
}

// Server is a PostgreSQL server that tests create databases on.
type Server struct {
	adminURL string
	// local is the server this test binary started; nil for an external
	// server.
	local *pgserver.Server
	seq   atomic.Int64
}

// Start returns the test binary's server, starting it on first use. Most
// tests call [New] or [Get] instead; Start is for code that has no
// testing.TB, such as a testscript Setup function.
func Start() (*Server, error) {
	server.once.Do(func() {
		if u := os.Getenv(EnvURL); u != "" {
			server.srv = &Server{adminURL: u}
			return
		}
		server.srv, server.err = startLocal()
	})
	return server.srv, server.err
}

// Stop stops the server started by [Start], if any, and removes its
// directory. [Main] calls it; call it at the end of a custom TestMain. A
// test binary that never calls it still takes the server down when it
// exits (the postmaster gets SIGQUIT on its parent's death), but leaves the
// temporary directory behind.
func Stop() {
	if s := server.srv; s != nil && s.local != nil {
		s.local.Stop()
	}
	stopShared()
}

// Main runs the tests of m and then stops the server. Use it as the whole
// body of TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Get returns the test binary's server. It skips tb when PostgreSQL is not
// installed, unless CI=true, and fails tb when the server cannot start.
func Get(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start()
	if errors.Is(err, ErrNoPostgres) && !inCI() {
		tb.Skipf("%v (install PostgreSQL or set %s)", err, EnvURL)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// AdminURL returns the URL of the server's maintenance database, for
// statements that are not scoped to one test database (CREATE ROLE).
func (s *Server) AdminURL() string { return s.adminURL }

// CreateDatabase creates a new, empty database with a unique name and
// returns its URL and a function that drops it (closing its connections).
func (s *Server) CreateDatabase(ctx context.Context) (dbURL string, drop func(context.Context) error, err error) {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	name := fmt.Sprintf("pgtest_%d_%d_%s", os.Getpid(), s.seq.Add(1), hex.EncodeToString(rnd[:]))
	dbURL, err = withDatabase(s.adminURL, name)
	if err != nil {
		return "", nil, err
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := s.admin(ctx, "CREATE DATABASE "+ident); err != nil {
		return "", nil, fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	drop = func(ctx context.Context) error {
		if err := s.admin(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("pgtest: drop database %s: %w", name, err)
		}
		return nil
	}
	return dbURL, drop, nil
}

// admin runs one statement on the maintenance database.
func (s *Server) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// DB is a fresh database for one test.
type DB struct {
	// Name is the database name.
	Name string
	// URL is a postgres:// URL of the database, for DATABASE_URL or a
	// second pool.
	URL string
	// Pool is a pool on the database with pgx's defaults.
	Pool *pgxpool.Pool
}

// New creates a fresh database and a pool on it; both are closed and the
// database dropped when tb's test ends.
func New(tb testing.TB) *DB {
	tb.Helper()
	u := NewDatabase(tb)
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		tb.Fatal(err)
	}
	return &DB{Name: cfg.Database, URL: u, Pool: Connect(tb, u)}
}

// NewDatabase creates a fresh database, dropped when tb's test ends, and
// returns its URL without connecting to it.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	s := Get(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u, drop, err := s.CreateDatabase(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := drop(ctx); err != nil {
			tb.Error(err)
		}
	})
	return u
}

// Connect opens a pool on dbURL, closed when tb's test ends (before a
// database from [New] or [NewDatabase] created earlier is dropped, since
// cleanups run last-in first-out). configure functions adjust the pool
// configuration first, for example [WithExecMode].
func Connect(tb testing.TB, dbURL string, configure ...func(*pgxpool.Config)) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		tb.Fatalf("pgtest: parse %s: %v", dbURL, err)
	}
	for _, f := range configure {
		f(cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		tb.Fatalf("pgtest: connect to %s: %v", dbURL, err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// EndSessions terminates the sessions on pool's database whose
// application_name is app and waits until none is left. The backend of a
// killed client runs its statement on until it next writes to the
// socket, holding its locks: a test that kills a process should end its
// sessions before it changes what they may hold.
func EndSessions(tb testing.TB, pool *pgxpool.Pool, app string) {
	tb.Helper()
	for {
		var n int
		err := pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = $1`, app).Scan(&n)
		if err != nil {
			tb.Fatalf("pgtest: end sessions of %s: %v", app, err)
		}
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WithExecMode sets the pool's default query exec mode.
func WithExecMode(mode pgx.QueryExecMode) func(*pgxpool.Config) {
	return func(c *pgxpool.Config) { c.ConnConfig.DefaultQueryExecMode = mode }
}

// WithMaxConns sets the pool's maximum number of connections.
func WithMaxConns(n int32) func(*pgxpool.Config) {
	return func(c *pgxpool.Config) { c.MaxConns = n }
}

// ExecModes returns every pgx query exec mode, default first.
func ExecModes() []pgx.QueryExecMode {
	return []pgx.QueryExecMode{
		pgx.QueryExecModeCacheStatement,
		pgx.QueryExecModeCacheDescribe,
		pgx.QueryExecModeDescribeExec,
		pgx.QueryExecModeExec,
		pgx.QueryExecModeSimpleProtocol,
	}
}

// ModeName returns the name pgx accepts for mode in the
// default_query_exec_mode connection parameter, such as "cache_describe".
func ModeName(mode pgx.QueryExecMode) string {
	return strings.ReplaceAll(mode.String(), " ", "_")
}

// RunWithQueryExecModes runs f as a subtest "mode=NAME" for each of modes, or
// for every mode in [ExecModes] when modes is empty.
func RunWithQueryExecModes(t *testing.T, f func(t *testing.T, mode pgx.QueryExecMode), modes ...pgx.QueryExecMode) {
	t.Helper()
	if len(modes) == 0 {
		modes = ExecModes()
	}
	for _, mode := range modes {
		t.Run("mode="+ModeName(mode), func(t *testing.T) { f(t, mode) })
	}
}

// inCI reports whether tests run in CI, where a missing database is a
// failure, not a reason to skip.
func inCI() bool { return os.Getenv("CI") == "true" }

// withDatabase returns u with its database replaced by name.
func withDatabase(u, name string) (string, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return "", fmt.Errorf("pgtest: server URL %q is not a postgres:// URL", u)
	}
	parsed.Path = "/" + name
	parsed.RawPath = ""
	return parsed.String(), nil
}

// startLocal starts the test binary's own server with the settings tests
// rely on.
func startLocal() (*Server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*pgserver.StartTimeout)
	defer cancel()
	srv, err := pgserver.Start(ctx, pgserver.Options{
		// Isolation tests run many pools at once; every test database
		// holds connections until its test ends.
		MaxConnections: 300,
		// Migration tests create and alter many schemas in one transaction.
		Settings: map[string]string{"max_locks_per_transaction": "256"},
	})
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	stopOnSignal(srv)
	return &Server{adminURL: srv.URL("postgres"), local: srv}, nil
}

// stopOnSignal stops srv and removes its directory when the test binary
// is interrupted (Ctrl-C) or terminated (a CI runner's SIGTERM), which
// would otherwise kill the binary before [Main] runs [Stop] and leave the
// directory behind; then the binary dies of the same signal, as it would
// have.
func stopOnSignal(srv *pgserver.Server) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		srv.Stop()
		signal.Reset(sig)
		_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
	}()
}
