package pgserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ErrNoPgBouncer means no pgbouncer binary was found. Test with errors.Is.
var ErrNoPgBouncer = errors.New("pgserver: pgbouncer not found (install pgbouncer, or put it on PATH)")

// bouncerStopTimeout is how long PgBouncer gets to exit before it is killed.
const bouncerStopTimeout = 15 * time.Second

// BouncerOptions tunes a PgBouncer from [StartPgBouncer]. The zero value is
// transaction pool mode, 200 client connections, 20 server connections per
// database and user.
type BouncerOptions struct {
	// MaxPreparedStatements is PgBouncer's max_prepared_statements, which
	// makes it track protocol-level prepared statements in transaction
	// mode (PgBouncer 1.21 and later); 0 leaves it unset.
	MaxPreparedStatements int
	// MaxClientConn is max_client_conn; 0 means 200.
	MaxClientConn int
	// DefaultPoolSize is default_pool_size; 0 means 20.
	DefaultPoolSize int
}

// Bouncer is a running PgBouncer in transaction pool mode.
type Bouncer struct {
	url    string
	dir    string
	cmd    *exec.Cmd
	exited chan struct{}
	once   sync.Once
}

// URL returns the URL of the database given to [StartPgBouncer], through
// PgBouncer.
func (b *Bouncer) URL() string { return b.url }

// Stop shuts PgBouncer down (SIGTERM, its immediate shutdown; SIGKILL after
// a timeout) and removes its directory. Calling it again does nothing.
func (b *Bouncer) Stop() {
	b.once.Do(func() {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
		case <-time.After(bouncerStopTimeout):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
		os.RemoveAll(b.dir)
	})
}

// StartPgBouncer starts a PgBouncer in transaction pool mode in front of the
// server of dbURL, listening on a free 127.0.0.1 port, and returns once it
// accepts connections. Without a pgbouncer binary it returns an error
// matching [ErrNoPgBouncer]. Call [Bouncer.Stop] when done; a PgBouncer
// whose parent dies gets SIGTERM.
func StartPgBouncer(ctx context.Context, dbURL string, opts BouncerOptions) (*Bouncer, error) {
	bin, err := PgBouncerBinary()
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("pgserver: parse %s: %w", dbURL, err)
	}
	cred, err := Credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tenantc-pgbouncer-")
	if err != nil {
		return nil, fmt.Errorf("pgserver: create pgbouncer directory: %w", err)
	}
	fail := func(err error) (*Bouncer, error) {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := Chown(dir, cred); err != nil {
		return fail(err)
	}
	port, err := FreePort()
	if err != nil {
		return fail(err)
	}
	serverPort := u.Port()
	if serverPort == "" {
		serverPort = "5432"
	}
	maxClient, poolSize := opts.MaxClientConn, opts.DefaultPoolSize
	if maxClient == 0 {
		maxClient = 200
	}
	if poolSize == 0 {
		poolSize = 20
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
max_client_conn = %d
default_pool_size = %d
ignore_startup_parameters = extra_float_digits
logfile = %s
`, u.Hostname(), serverPort, port, filepath.Join(dir, "userlist.txt"), maxClient, poolSize,
		filepath.Join(dir, "pgbouncer.log"))
	if opts.MaxPreparedStatements > 0 {
		ini += fmt.Sprintf("max_prepared_statements = %d\n", opts.MaxPreparedStatements)
	}
	userlist := fmt.Sprintf("%q %q\n", userName, password)
	for _, f := range []struct{ name, content string }{{"pgbouncer.ini", ini}, {"userlist.txt", userlist}} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.content), 0o600); err != nil {
			return fail(fmt.Errorf("pgserver: write %s: %w", f.name, err))
		}
		if err := Chown(p, cred); err != nil {
			return fail(err)
		}
	}

	var out lockedBuffer
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.Dir = dir
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fail(fmt.Errorf("pgserver: start pgbouncer: %w", err))
	}
	b := &Bouncer{dir: dir, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(b.exited)
	}()

	bouncerURL := *u
	bouncerURL.Host = fmt.Sprintf("127.0.0.1:%d", port)
	q := bouncerURL.Query()
	q.Set("sslmode", "disable")
	bouncerURL.RawQuery = q.Encode()
	b.url = bouncerURL.String()
	if err := WaitReady(ctx, b.url, b.exited); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
		b.Stop()
		return nil, fmt.Errorf("pgserver: start pgbouncer: %w\n%s%s", err, out.String(), log)
	}
	return b, nil
}

// PgBouncerVersion returns the major and minor version of the installed
// pgbouncer.
func PgBouncerVersion() (major, minor int, err error) {
	bin, err := PgBouncerBinary()
	if err != nil {
		return 0, 0, err
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return 0, 0, fmt.Errorf("pgserver: pgbouncer --version: %w", err)
	}
	m := regexp.MustCompile(`PgBouncer (\d+)\.(\d+)`).FindSubmatch(out)
	if m == nil {
		return 0, 0, fmt.Errorf("pgserver: pgbouncer --version: no version in %q", out)
	}
	major, _ = strconv.Atoi(string(m[1]))
	minor, _ = strconv.Atoi(string(m[2]))
	return major, minor, nil
}

// PgBouncerBinary finds pgbouncer in PATH or the sbin directories where
// distributions install it, often outside a non-root PATH.
func PgBouncerBinary() (string, error) {
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/pgbouncer", "/usr/local/sbin/pgbouncer", "/usr/local/bin/pgbouncer"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", ErrNoPgBouncer
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
