// Package pgserver starts a throwaway PostgreSQL server: initdb into a
// temporary directory, a postmaster on a free loopback port, and removal of
// everything on Stop. The example app, `tenantc migrate diff` without a
// dev_url, and internal/pgtest all use it.
//
// initdb refuses to run as root, so when tenantc runs as root the server's
// processes run as the "postgres" user and the directory is given to it.
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
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres means no PostgreSQL server binaries were found. Test with
// errors.Is.
var ErrNoPostgres = errors.New("pgserver: no PostgreSQL server binaries found (install postgresql, or put initdb on PATH)")

// Options tunes the server. The zero value is a fast, unsafe server for
// tests and demos: fsync off, 200 connections.
type Options struct {
	// MaxConnections is the server's max_connections; 0 means 200.
	MaxConnections int
	// Settings are extra postgres -c name=value settings.
	Settings map[string]string
	// Log receives the server's own output; nil discards it.
	Log io.Writer
}

// Server is a running throwaway PostgreSQL.
type Server struct {
	dir  string
	port int
	cmd  *exec.Cmd
	done chan error
}

// URL returns a connection URL for database db (superuser, no password).
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

// Port returns the TCP port the server listens on (127.0.0.1).
func (s *Server) Port() int { return s.port }

// BinDir returns the directory holding initdb and postgres, searching
// pg_config, the Debian layout (/usr/lib/postgresql/N/bin, highest N first)
// and PATH.
func BinDir() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dir := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	return "", ErrNoPostgres
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initializes and starts a server. It returns once the server
// accepts connections, or when ctx ends.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tenantc-pg-")
	if err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	cred, err := credential(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgserver: initdb: %w: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	maxConn := opts.MaxConnections
	if maxConn == 0 {
		maxConn = 200
	}
	settings := map[string]string{
		"listen_addresses":          "127.0.0.1",
		"port":                      strconv.Itoa(port),
		"unix_socket_directories":   dir,
		"fsync":                     "off",
		"synchronous_commit":        "off",
		"full_page_writes":          "off",
		"max_connections":           strconv.Itoa(maxConn),
		"max_locks_per_transaction": "256",
	}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	args := []string{"-D", data}
	for _, k := range slices.Sorted(mapsKeys(settings)) {
		args = append(args, "-c", k+"="+settings[k])
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = logw, logw
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgserver: starting postgres: %w", err)
	}
	s := &Server{dir: dir, port: port, cmd: cmd, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	if err := s.wait(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// wait polls until the server accepts a connection: bounded by ctx and by
// 60 attempts with a growing delay, and cut short if the postmaster exits.
func (s *Server) wait(ctx context.Context) error {
	delay := 10 * time.Millisecond
	var last error
	for range 60 {
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			return conn.Close(ctx)
		}
		last = err
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("pgserver: postgres exited during start-up: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
	return fmt.Errorf("pgserver: server did not accept connections: %w", last)
}

// Stop shuts the server down (fast shutdown) and removes its directory.
func (s *Server) Stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// credential returns the postgres user's credentials when running as root
// (and hands dir to it), or nil to run as the current user.
func credential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgserver: running as root needs a postgres user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("pgserver: %w", err)
	}
	// The temporary directory's parents must be searchable by postgres.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgserver: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
