package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/tenantc/tenantc/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite the stdout/stderr sections of failing scripts")

// TestScripts runs testdata/script/*.txtar against the tenantc command.
//
// Each script gets a fresh, empty database in $DATABASE_URL (dropped when
// the script ends) and the server's maintenance database in $DEV_URL, for
// --dev-url. Without PostgreSQL both are unset and the condition
// [database] is false, so scripts that need one start with
//
//	[!database] skip 'needs PostgreSQL'
//
// and the others still run; under CI=true a missing PostgreSQL fails the
// test instead.
//
// Besides the standard commands, scripts have
//
//	exitcode N command [args...]
//
// which runs command like exec and fails unless it exits with status N, so
// scripts can tell findings (1) from usage and config errors (2), and
//
//	execsql 'SQL'
//
// which runs SQL (several statements allowed) on $DATABASE_URL, to seed
// data or alter a tenant schema behind tenantc's back.
func TestScripts(t *testing.T) {
	db := newScriptDB(t)
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			if err := setupCache(env); err != nil {
				return err
			}
			return db.setup(env)
		},
		Condition: func(cond string) (bool, error) {
			if cond == "database" {
				return db.srv != nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode": cmdExitCode,
			"execsql":  cmdExecSQL,
		},
	})
}

// setupCache gives each script a generate cache of its own, outside $WORK
// so that it never shows in a script's files.
func setupCache(env *testscript.Env) error {
	dir, err := os.MkdirTemp("", "tenantc-script-cache-")
	if err != nil {
		return err
	}
	env.Defer(func() { os.RemoveAll(dir) })
	env.Setenv("XDG_CACHE_HOME", dir)
	return nil
}

// scriptDB hands each script a database of the test binary's server.
type scriptDB struct {
	srv *pgtest.Server // nil without PostgreSQL
}

func newScriptDB(t *testing.T) *scriptDB {
	srv, err := pgtest.Start()
	switch {
	case errors.Is(err, pgtest.ErrNoPostgres) && os.Getenv("CI") != "true":
		t.Logf("scripts needing a database are skipped: %v", err)
		return &scriptDB{}
	case err != nil:
		t.Fatal(err)
	}
	return &scriptDB{srv: srv}
}

func (d *scriptDB) setup(env *testscript.Env) error {
	if d.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbURL, drop, err := d.srv.CreateDatabase(ctx)
	if err != nil {
		return err
	}
	env.Defer(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := drop(ctx); err != nil {
			env.T().Fatal(err)
		}
	})
	env.Setenv("DATABASE_URL", dbURL)
	env.Setenv("DEV_URL", d.srv.AdminURL())
	return nil
}

// stopServer runs the tests with a cache directory of their own, then stops the PostgreSQL server the scripts
// used, if any.
type stopServer struct{ m *testing.M }

func (s stopServer) Run() int {
	defer pgtest.Stop()
	// Tests that run generate through its command use the user cache
	// directory; give them one of their own rather than the user's.
	cache, err := os.MkdirTemp("", "tenantc-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(cache)
	os.Setenv("XDG_CACHE_HOME", cache)
	return s.m.Run()
}

func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! exitcode")
	}
	if len(args) < 2 {
		ts.Fatalf("usage: exitcode N command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: bad status %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("exitcode: %v", err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

func cmdExecSQL(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: execsql 'SQL'")
	}
	url := ts.Getenv("DATABASE_URL")
	if url == "" {
		ts.Fatalf("execsql: no DATABASE_URL (start the script with [!database] skip)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		ts.Fatalf("execsql: %v", err)
	}
	defer conn.Close(context.Background())
	// No arguments: the simple protocol, which runs several statements.
	_, err = conn.Exec(ctx, args[0])
	if neg {
		if err == nil {
			ts.Fatalf("execsql succeeded unexpectedly")
		}
		ts.Logf("execsql: %v", err)
		return
	}
	if err != nil {
		ts.Fatalf("execsql: %v", err)
	}
}
