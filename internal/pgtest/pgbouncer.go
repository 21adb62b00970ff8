package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tenantc/tenantc/internal/pgserver"
)

// bouncerStopTimeout is how long PgBouncer gets to exit before it is killed.
const bouncerStopTimeout = 15 * time.Second

// BouncerOption configures [PgBouncer].
type BouncerOption func(*bouncerConfig)

type bouncerConfig struct {
	maxPrepared int
}

// WithMaxPreparedStatements sets PgBouncer's max_prepared_statements, which
// makes it track protocol-level prepared statements in transaction mode
// (PgBouncer 1.21 and later; see [PgBouncerVersion]). Without it, named
// prepared statements do not survive a transaction.
func WithMaxPreparedStatements(n int) BouncerOption {
	return func(c *bouncerConfig) { c.maxPrepared = n }
}

// PgBouncer starts a PgBouncer in transaction pool mode in front of the
// server of dbURL and returns the URL of the same database through it. It
// listens on a free 127.0.0.1 port (max_client_conn 200, default_pool_size
// 20) and stops when tb's test ends. Without a pgbouncer binary it skips tb,
// or fails it when CI=true.
func PgBouncer(tb testing.TB, dbURL string, opts ...BouncerOption) string {
	tb.Helper()
	var cfg bouncerConfig
	for _, o := range opts {
		o(&cfg)
	}
	bin := pgbouncerBinary(tb)
	u, err := url.Parse(dbURL)
	if err != nil {
		tb.Fatalf("pgtest: parse %s: %v", dbURL, err)
	}
	cred, err := pgserver.Credential()
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "tenantc-pgbouncer-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := pgserver.Chown(dir, cred); err != nil {
		tb.Fatal(err)
	}

	port, err := pgserver.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	serverPort := u.Port()
	if serverPort == "" {
		serverPort = "5432"
	}
	userName := u.User.Username()
	password, _ := u.User.Password()

	// auth_type trust lets every client in; the password in the user list
	// is what PgBouncer presents to the server.
	ini := fmt.Sprintf(`[databases]
* = host=%s port=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = %s
`, u.Hostname(), serverPort, port, filepath.Join(dir, "userlist.txt"), filepath.Join(dir, "pgbouncer.log"))
	if cfg.maxPrepared > 0 {
		ini += fmt.Sprintf("max_prepared_statements = %d\n", cfg.maxPrepared)
	}
	userlist := fmt.Sprintf("%q %q\n", userName, password)
	for name, content := range map[string]string{"pgbouncer.ini": ini, "userlist.txt": userlist} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			tb.Fatal(err)
		}
		if err := pgserver.Chown(p, cred); err != nil {
			tb.Fatal(err)
		}
	}

	var out lockedBuffer
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.Dir = dir
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("pgtest: start pgbouncer: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
		// SIGTERM is PgBouncer's immediate shutdown.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(bouncerStopTimeout):
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	bouncerURL := *u
	bouncerURL.Host = fmt.Sprintf("127.0.0.1:%d", port)
	q := bouncerURL.Query()
	q.Set("sslmode", "disable")
	bouncerURL.RawQuery = q.Encode()
	if err := pgserver.WaitReady(context.Background(), bouncerURL.String(), exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
		tb.Fatalf("pgtest: start pgbouncer: %v\n%s%s", err, out.String(), log)
	}
	return bouncerURL.String()
}

// PgBouncerVersion returns the major and minor version of the installed
// pgbouncer, skipping tb (failing it when CI=true) when there is none.
func PgBouncerVersion(tb testing.TB) (major, minor int) {
	tb.Helper()
	out, err := exec.Command(pgbouncerBinary(tb), "--version").Output()
	if err != nil {
		tb.Fatalf("pgtest: pgbouncer --version: %v", err)
	}
	m := regexp.MustCompile(`PgBouncer (\d+)\.(\d+)`).FindSubmatch(out)
	if m == nil {
		tb.Fatalf("pgtest: pgbouncer --version: no version in %q", out)
	}
	major, _ = strconv.Atoi(string(m[1]))
	minor, _ = strconv.Atoi(string(m[2]))
	return major, minor
}

// pgbouncerBinary finds pgbouncer in PATH or /usr/sbin (where distributions
// install it, often outside a non-root PATH).
func pgbouncerBinary(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer", "/usr/local/bin/pgbouncer"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	msg := "pgtest: pgbouncer not found"
	if inCI() {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// lockedBuffer is an io.Writer safe for a process's output and a reader.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
