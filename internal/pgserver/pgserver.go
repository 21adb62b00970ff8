// Package pgserver starts a throwaway PostgreSQL server: initdb into a
// temporary directory, a postmaster on a free loopback port (and a unix
// socket in that directory), and removal of everything on Stop. The example
// app, `tenantc migrate diff` without a dev_url, and internal/pgtest all use
// it.
//
//	srv, err := pgserver.Start(ctx, pgserver.Options{})
//	if err != nil { ... } // errors.Is(err, pgserver.ErrNoPostgres): not installed
//	defer srv.Stop()
//	pool, err := pgxpool.New(ctx, srv.URL("postgres"))
//
// [Server.Kill] and [Server.Restart] crash and restart the server in
// place (same data directory and port), for tests of how clients ride out
// an outage.
//
// initdb, postgres and pgbouncer refuse to run as root, so when tenantc runs
// as root the server's processes run as the "postgres" user ([Credential])
// and the files they need are given to it ([Chown]).
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres means no PostgreSQL server binaries were found. Test with
// errors.Is.
var ErrNoPostgres = errors.New("pgserver: no PostgreSQL server binaries found (install postgresql, or put initdb on PATH)")

// Limits on waiting for a server process to come up or go down.
const (
	// StartTimeout bounds [WaitReady] (and so [Start]) when the context
	// has no earlier deadline.
	StartTimeout = 30 * time.Second
	// stopTimeout is how long each shutdown mode gets before Stop escalates.
	stopTimeout  = 15 * time.Second
	pollInterval = 20 * time.Millisecond
	// portAttempts is how often Start tries a new port: a port found free
	// can be taken by another process before the postmaster binds it.
	portAttempts = 3
)

// Options tunes the server. The zero value is a fast, unsafe server for
// tests and demos: fsync off, 200 connections, 256 locks per transaction.
type Options struct {
	// MaxConnections is the server's max_connections; 0 means 200.
	MaxConnections int
	// Settings are extra postgres -c name=value settings; they override
	// the defaults.
	Settings map[string]string
	// Log also receives the server's own output, which always goes to a
	// log file in the server's directory (quoted in start-up errors).
	Log io.Writer
}

// Server is a running throwaway PostgreSQL.
type Server struct {
	dir  string
	port int
	// bin, cred and opts start the postmaster again in [Server.Restart].
	bin  string
	cred *syscall.Credential
	opts Options

	// mu guards cmd and exited, which Restart replaces.
	mu  sync.Mutex
	cmd *exec.Cmd
	// exited is closed when the postmaster process ends.
	exited   chan struct{}
	stopOnce sync.Once
}

// URL returns a connection URL for database db (superuser, no password).
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Port returns the TCP port the server listens on (127.0.0.1).
func (s *Server) Port() int { return s.port }

// Dir returns the server's temporary directory: the data directory
// ("data"), the unix socket and the log ("postgres.log"). Stop removes it.
func (s *Server) Dir() string { return s.dir }

// BinDir returns the directory holding initdb and postgres, searching
// pg_config, the Debian layout (/usr/lib/postgresql/N/bin, highest N first)
// and PATH.
func BinDir() (string, error) {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); has(dir) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// Sort by major version numerically, so that 15 beats 9.6.
	slices.SortFunc(dirs, func(a, b string) int {
		return compareVersions(filepath.Base(filepath.Dir(a)), filepath.Base(filepath.Dir(b)))
	})
	for _, dir := range slices.Backward(dirs) {
		if has(dir) {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if dir := filepath.Dir(p); has(dir) {
			return dir, nil
		}
	}
	return "", ErrNoPostgres
}

// compareVersions compares dotted version numbers numerically.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// Start initializes and starts a server. It returns once the server
// accepts connections; ctx bounds initdb and the wait for readiness, not
// the server's life (call [Server.Stop]).
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := Credential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tenantc-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgserver: create directory: %w", err)
	}
	if err := Chown(dir, cred); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C")
	// The server user may not be able to enter the caller's working
	// directory.
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgserver: initdb: %w\n%s", err, out)
	}

	var lastErr error
	for range portAttempts {
		s, err := startPostmaster(ctx, bin, dir, cred, opts)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

// settings returns the postgres -c settings for a server in dir on port.
func settings(dir string, port int, opts Options) map[string]string {
	maxConn := opts.MaxConnections
	if maxConn == 0 {
		maxConn = 200
	}
	m := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    strconv.Itoa(port),
		"unix_socket_directories": dir,
		"fsync":                   "off",
		"synchronous_commit":      "off",
		"full_page_writes":        "off",
		"max_connections":         strconv.Itoa(maxConn),
		// Migrations create and alter many schemas in one transaction.
		"max_locks_per_transaction": "256",
	}
	for k, v := range opts.Settings {
		m[k] = v
	}
	return m
}

// startPostmaster starts postgres on a free port and waits until it
// accepts connections. On failure nothing is left running and the error
// quotes the server log.
func startPostmaster(ctx context.Context, bin, dir string, cred *syscall.Credential, opts Options) (*Server, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, port: port, bin: bin, cred: cred, opts: opts}
	if err := s.launch(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// launch starts the postmaster of s on its directory and port and waits
// until it accepts connections. The log is appended to, so that it keeps
// the output of every run across restarts.
func (s *Server) launch(ctx context.Context) error {
	bin, dir, cred, opts, port := s.bin, s.dir, s.cred, s.opts, s.port
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("pgserver: create log: %w", err)
	}
	defer logFile.Close()
	if err := Chown(logPath, cred); err != nil {
		return err
	}
	set := settings(dir, port, opts)
	args := []string{"-D", filepath.Join(dir, "data")}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range set {
			if !yield(k) {
				return
			}
		}
	}) {
		args = append(args, "-c", k+"="+set[k])
	}
	var logw io.Writer = logFile
	if opts.Log != nil {
		logw = io.MultiWriter(logFile, opts.Log)
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logw, logw
	// Setpgid keeps a terminal's Ctrl-C away from the postmaster, so the
	// app can stop it in order. SIGQUIT on the parent's death: a killed or
	// crashed program leaves no postmaster behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgserver: start postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	if err := WaitReady(ctx, s.URL("postgres"), exited); err != nil {
		s.signal(syscall.SIGQUIT)
		<-exited
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("pgserver: start postgres: %w\n%s", err, log)
	}
	return nil
}

// WaitReady polls connString until a connection succeeds, the process
// behind it ends (exited closes; nil means never), ctx ends or
// [StartTimeout] passes.
func WaitReady(ctx context.Context, connString string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		err := ping(ctx, connString)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("process exited before accepting connections: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("not accepting connections: %w (last attempt: %w)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// ping connects to connString once, giving up after a second so that a
// server that accepts the TCP connection but never answers is retried.
func ping(ctx context.Context, connString string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// Stop shuts the server down and removes its directory: fast shutdown
// (SIGINT, which rolls back open transactions), then immediate (SIGQUIT),
// then SIGKILL, each after a timeout. Calling it again does nothing.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.halt(syscall.SIGINT)
		os.RemoveAll(s.dir)
	})
}

// Kill takes the server down the way a crash does: immediate shutdown
// (SIGQUIT), so every backend exits at once, open transactions are lost
// and the next start runs crash recovery. The data directory and port are
// kept for [Server.Restart]. Clients see their connections break. Kill
// returns once the postmaster has exited; killing a stopped server does
// nothing.
func (s *Server) Kill() { s.halt(syscall.SIGQUIT) }

// Restart stops the server (fast shutdown, which rolls back open
// transactions and closes every connection) unless it is already down
// after [Server.Kill], and starts it again on the same data directory and
// port, so that existing URLs and pools reach it again. It returns once the
// server accepts connections; ctx bounds that wait.
func (s *Server) Restart(ctx context.Context) error {
	s.halt(syscall.SIGINT)
	if err := s.launch(ctx); err != nil {
		return fmt.Errorf("pgserver: restart: %w", err)
	}
	return nil
}

// halt sends first, then the harsher shutdown signals, each after a
// timeout, until the postmaster exits.
func (s *Server) halt(first syscall.Signal) {
	sigs := []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGKILL}
	for i, sig := range sigs {
		if sig == first {
			sigs = sigs[i:]
			break
		}
	}
	for _, sig := range sigs {
		s.signal(sig)
		if s.exitsWithin(stopTimeout) {
			return
		}
	}
}

// exitsWithin reports whether the postmaster ends within d.
func (s *Server) exitsWithin(d time.Duration) bool {
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-exited:
		return true
	case <-timer.C:
		return false
	}
}

func (s *Server) signal(sig os.Signal) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	select {
	case <-exited:
		// Signalling an exited process could reach a reused pid.
		return
	default:
	}
	if cmd.Process != nil {
		_ = cmd.Process.Signal(sig)
	}
}

// Credential returns the credential to run server processes (initdb,
// postgres, pgbouncer) with: nil normally, the postgres user when running as
// root, because all three refuse to run as root.
func Credential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgserver: running as root needs a postgres user to run the server as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgserver: postgres user ids: %w", err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// Chown gives path to the user of cred, a result of [Credential]; with a
// nil cred (not root) it does nothing.
func Chown(path string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("pgserver: chown %s: %w", path, err)
	}
	return nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
// Another process may take it before the caller binds it; retry on
// failure.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgserver: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
