package pgtest_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tenantc/tenantc/internal/pgtest"
)

const signalChildEnv = "PGTEST_SIGNAL_CHILD"

// TestSignalRemovesServer interrupts and terminates a test binary holding
// a throwaway server: either way the server's directory is gone after.
func TestSignalRemovesServer(t *testing.T) {
	if os.Getenv(signalChildEnv) != "" {
		// The child: start the server, say so, wait to be signalled.
		if _, err := pgtest.Start(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		time.Sleep(time.Minute)
		os.Exit(3)
	}
	if os.Getenv(pgtest.EnvURL) != "" {
		t.Skip("an external server: nothing is started")
	}
	pgtest.Get(t) // skips without PostgreSQL
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp := serverTempDir(t)
			cmd := exec.Command(os.Args[0], "-test.run=^TestSignalRemovesServer$")
			cmd.Env = append(os.Environ(), signalChildEnv+"=1", "TMPDIR="+tmp)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			if line != "ready\n" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child said %q", line)
			}
			if entries, _ := os.ReadDir(tmp); len(entries) == 0 {
				t.Fatal("the child's server has no directory in TMPDIR")
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err = cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != sig {
				t.Errorf("child ended with %v, want death by %v", err, sig)
			}
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Errorf("after %v, TMPDIR holds %v", sig, entries)
			}
		})
	}
}

// serverTempDir is a TMPDIR for a child's server: one the server's user
// can enter, which t.TempDir's may not be when tests run as root.
func serverTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgtest-signal-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(dir)
}
