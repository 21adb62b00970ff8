package pgserver

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// start starts a server for t, skipping t when PostgreSQL is not installed
// unless CI=true.
func start(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(context.Background(), opts)
	if errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// show returns the value of setting name on s.
func show(t *testing.T, s *Server, name string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStartStop(t *testing.T) {
	// A file, not a buffer: the postmaster writes to it from another
	// goroutine.
	log, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	s := start(t, Options{MaxConnections: 300, Settings: map[string]string{"application_name": "pgserver_test"}, Log: log})
	for name, want := range map[string]string{
		"fsync":                     "off",
		"synchronous_commit":        "off",
		"full_page_writes":          "off",
		"max_connections":           "300",
		"max_locks_per_transaction": "256",
		"listen_addresses":          "127.0.0.1",
		"unix_socket_directories":   s.Dir(),
		"application_name":          "pgserver_test",
	} {
		if got := show(t, s, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "postgres.log")); err != nil {
		t.Errorf("no server log: %v", err)
	}
	s.Stop()
	if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("directory %s still exists after Stop", s.Dir())
	}
	if _, err := pgx.Connect(context.Background(), s.URL("postgres")); err == nil {
		t.Error("server still accepts connections after Stop")
	}
	if got, _ := os.ReadFile(log.Name()); !strings.Contains(string(got), "database system is ready to accept connections") {
		t.Errorf("Options.Log did not receive the server log:\n%s", got)
	}
	s.Stop() // a second Stop is a no-op
}

func TestDefaultMaxConnections(t *testing.T) {
	s := start(t, Options{})
	if got := show(t, s, "max_connections"); got != "200" {
		t.Errorf("max_connections = %s, want 200", got)
	}
}

func TestStartErrorQuotesServerLog(t *testing.T) {
	if _, err := BinDir(); errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	_, err := Start(context.Background(), Options{Settings: map[string]string{"shared_buffers": "lots"}})
	if err == nil {
		t.Fatal("Start with an invalid setting succeeded")
	}
	// The postmaster's own complaint names the setting.
	if !strings.Contains(err.Error(), `"shared_buffers"`) {
		t.Errorf("start-up error does not quote the server log:\n%v", err)
	}
}

func TestBinDir(t *testing.T) {
	dir, err := BinDir()
	if errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("BinDir() = %s without %s: %v", dir, name, err)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		sign int
	}{
		{"15", "9.6", 1},
		{"9.6", "15", -1},
		{"16", "16", 0},
		{"10", "9", 1},
		{"1.21", "1.18", 1},
		{"16", "16.1", -1},
	}
	for _, tt := range tests {
		got := compareVersions(tt.a, tt.b)
		if (got > 0) != (tt.sign > 0) || (got < 0) != (tt.sign < 0) {
			t.Errorf("compareVersions(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.sign)
		}
	}
}

func TestFreePort(t *testing.T) {
	p, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if p <= 0 || p > 65535 {
		t.Errorf("FreePort() = %d", p)
	}
}

func TestCredential(t *testing.T) {
	cred, err := Credential()
	if err != nil {
		t.Fatal(err)
	}
	if (cred != nil) != (os.Geteuid() == 0) {
		t.Fatalf("Credential() = %+v as uid %d", cred, os.Geteuid())
	}
	if cred != nil && cred.Uid == 0 {
		t.Error("Credential() runs the server as root")
	}
	f := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Chown(f, cred); err != nil {
		t.Fatal(err)
	}
}

func TestWaitReadyProcessExited(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	close(exited)
	err = WaitReady(context.Background(), "postgres://postgres@127.0.0.1:"+strconv.Itoa(port)+"/postgres?sslmode=disable", exited)
	if err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("WaitReady with an exited process = %v, want an error saying it exited", err)
	}
}
