package queries

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/sqlc-dev/sqlc/pkg/cli"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/position"
)

// EngineEnv is set to "1" in the environment of the sqlc child process
// and of the codegen plugin it starts, which is the same binary again. A
// binary that analyzes queries checks it first thing (the tenantc
// command in main, test binaries in TestMain) and, when set, runs
// [EngineMain] instead of anything else:
//
//	if os.Getenv(queries.EngineEnv) == "1" {
//		os.Exit(queries.EngineMain(os.Args[1:]))
//	}
const EngineEnv = "TENANTC_SQLC_ENGINE"

// requestEnv names the file where the codegen plugin saves sqlc's request.
const requestEnv = "TENANTC_SQLC_REQUEST"

// pluginMethod is the one argument sqlc passes to a process plugin.
const pluginMethod = "/plugin.CodegenService/Generate"

// Engine is the command that runs the embedded sqlc engine in a child
// process. sqlc's only importable package, pkg/cli, calls os.Exit on some
// failures, prints to the process's stdout and starts its codegen plugin
// as a process, so the engine cannot run inside the caller's process:
// [Analyze] needs a binary, named with [WithEngine]. The binary must run
// [EngineMain] whenever [EngineEnv] is set, whatever its arguments: sqlc
// starts it once more as its codegen plugin, with an argument of sqlc's
// choosing instead of Args. The tenantc binary is one, with Args
// ["__sqlc"]; [ExecutableEngine] names the running binary.
type Engine struct {
	Path string   // executable
	Args []string // arguments before sqlc's own (e.g. a hidden subcommand)
}

// ExecutableEngine returns an Engine that re-executes the running binary
// with args before sqlc's own. Use it from a binary that runs
// [EngineMain] when [EngineEnv] is set, as the tenantc command does.
func ExecutableEngine(args ...string) Engine {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return Engine{Path: exe, Args: args}
}

// EngineMain runs sqlc with args (as the sqlc command line would get them,
// optionally after the hidden "__sqlc" subcommand) and returns its exit
// code. Started by sqlc as tenantc's codegen plugin, it saves the request
// sqlc sends on stdin instead and answers with no files.
func EngineMain(args []string) int {
	if path := os.Getenv(requestEnv); path != "" && len(args) == 1 && args[0] == pluginMethod {
		return saveRequest(path)
	}
	if len(args) > 0 && args[0] == "__sqlc" {
		args = args[1:]
	}
	return cli.Run(args)
}

// saveRequest copies the plugin request on stdin to path. The empty
// stdout is an empty plugin.GenerateResponse: sqlc writes no files.
func saveRequest(path string) int {
	f, err := os.Create(path)
	if err == nil {
		_, err = io.Copy(f, os.Stdin)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tenantc codegen plugin: %v\n", err)
		return 1
	}
	return 0
}

// TestEngine returns an Engine that re-executes the running test binary,
// [ExecutableEngine] with no arguments. Its TestMain must call
// [EngineMain] when [EngineEnv] is "1":
//
//	func TestMain(m *testing.M) {
//		if os.Getenv(queries.EngineEnv) == "1" {
//			os.Exit(queries.EngineMain(os.Args[1:]))
//		}
//		os.Exit(m.Run())
//	}
func TestEngine() Engine { return ExecutableEngine() }

// sqlcConfig is the temporary sqlc.yaml; paths are relative to its directory
// because sqlc joins even absolute paths onto it. The codegen plugin is the
// engine's own binary (see [EngineMain]); sqlc passes it only the
// environment variables listed under env.
const sqlcConfig = `version: "2"
plugins:
- name: tenantc
  env: [` + EngineEnv + `, ` + requestEnv + `]
  process:
    cmd: %s
sql:
- engine: postgresql
  schema: %s
  queries: %s
%s  codegen:
  - plugin: tenantc
    out: out
`

// run analyzes queryFiles against schemaFiles with sqlc and decodes its
// codegen request. Paths are usable from the current directory; rel maps
// one back to the path printed in messages. A sqlc analysis error comes
// back as a [position.ErrorList].
func (e Engine) run(ctx context.Context, settings string, schemaFiles, queryFiles []string, rel func(string) string) (*Result, error) {
	dir, err := os.MkdirTemp("", "tenantc-sqlc-")
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	defer os.RemoveAll(dir)

	// back maps the path sqlc prints to the caller's path.
	back := map[string]string{}
	list := func(files []string) (string, error) {
		var quoted []string
		for _, f := range files {
			abs, err := filepath.Abs(f)
			if err != nil {
				return "", err
			}
			r, err := filepath.Rel(dir, abs)
			if err != nil {
				return "", err
			}
			back[r] = f
			back[filepath.Base(f)] = f
			quoted = append(quoted, strconv.Quote(r))
		}
		return "[" + strings.Join(quoted, ", ") + "]", nil
	}
	s, err := list(schemaFiles)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	q, err := list(queryFiles)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	// The child runs in dir, and sqlc runs the plugin from there too.
	exe, err := exec.LookPath(e.Path)
	if err == nil {
		exe, err = filepath.Abs(exe)
	}
	if err != nil {
		return nil, fmt.Errorf("queries: locating the sqlc engine: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sqlc.yaml"), fmt.Appendf(nil, sqlcConfig, strconv.Quote(exe), s, q, settings), 0o644); err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	request := filepath.Join(dir, "request.pb")

	cmd := exec.CommandContext(ctx, exe, append(append([]string(nil), e.Args...), "generate", "-f", filepath.Join(dir, "sqlc.yaml"))...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), EngineEnv+"=1", requestEnv+"="+request)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if runErr != nil {
		if errs := parseSQLCErrors(stderr.String(), back, rel); len(errs) > 0 {
			return nil, errs.Err()
		}
		msg := strings.TrimSpace(strings.ReplaceAll(stderr.String()+stdout.String(), "# package \n", ""))
		return nil, fmt.Errorf("queries: sqlc engine failed: %v: %s", runErr, msg)
	}

	data, err := os.ReadFile(request)
	if err != nil {
		return nil, fmt.Errorf("queries: reading the sqlc engine's output: %w", err)
	}
	res, err := decodeRequest(data)
	if err != nil {
		return nil, fmt.Errorf("queries: %w", err)
	}
	for _, q := range res.Queries {
		if f, ok := back[q.File]; ok {
			q.File = rel(f)
		}
	}
	return res, nil
}

// engineSettings are the analysis settings of the config that sqlc reads
// from its own sql entry, under sqlc's names: strict_function_checks and
// strict_order_by mean what they mean in a sqlc project, and dbURL, when
// set, is the database sqlc analyzes the queries with.
func engineSettings(cfg *config.Config, dbURL string) string {
	var b strings.Builder
	if dbURL != "" {
		fmt.Fprintf(&b, "  database:\n    uri: %s\n  analyzer:\n    database: true\n", strconv.Quote(dbURL))
	}
	if cfg.StrictFunctionChecks {
		b.WriteString("  strict_function_checks: true\n")
	}
	if cfg.StrictOrderBy != nil {
		fmt.Fprintf(&b, "  strict_order_by: %t\n", *cfg.StrictOrderBy)
	}
	return b.String()
}

var sqlcErrLine = regexp.MustCompile(`^(.+?):(\d+):(\d+): (.*)$`)

// parseSQLCErrors reads sqlc's "path:line:col: message" lines.
func parseSQLCErrors(out string, back map[string]string, rel func(string) string) position.ErrorList {
	var errs position.ErrorList
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := sqlcErrLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		file := m[1]
		if f, ok := back[file]; ok {
			file = rel(f)
		}
		line, _ := strconv.Atoi(m[2])
		col, _ := strconv.Atoi(m[3])
		errs.Add(position.Pos{File: file, Line: line, Col: col}, "%s", m[4])
	}
	return errs
}
