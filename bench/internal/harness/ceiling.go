package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/tenantc/tenantc/internal/pgserver"
)

// The server's ceiling: pgbench, PostgreSQL's C client, runs the point
// select with the clients of the Go scenarios, so that what the server
// itself does for one tenant and for a fleet is measured without Go,
// pgx or tenantc in the way.
//
// pgbench's prepared mode prepares each command of a script once per
// connection, so a fleet runs prepared when each tenant's statement is a
// command of its own: the scripts (see preparedScripts) hold one command
// per tenant, and each call picks one through a short tree of \if. Two
// routings bracket what a pool can do: every connection serving every
// tenant (as the default Pool does when a call takes any free
// connection), and each connection its own part of the fleet (the ideal
// partition, as if each client only ever served its own tenants). The
// fleet also runs in the simple protocol with the schema written into the
// text, as tenantc writes it.

// pgbenchScript returns the script of the point select over the first n
// fleet tenants: each client first visits every tenant in turn, so that
// its backend's catalog caches hold all of them (the warming the Go
// scenarios do), then picks one at random per call. The schema name is
// fleetID's, built from its five digits, since pgbench's variables are
// integers.
func pgbenchScript(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `\if :k < %[1]d
\set t :k
\else
\set t random(0, %[1]d - 1)
\endif
\set k :k + 1
`, n)
	for i, div := range []int{10000, 1000, 100, 10, 1} {
		fmt.Fprintf(&b, "\\set d%d (:t / %d) %% 10\n", i, div)
	}
	fmt.Fprintf(&b, "\\set id random(1, %d)\n", fleetItems)
	b.WriteString("SELECT id, plan_id, name, qty, note FROM tenant_t:d0:d1:d2:d3:d4.items WHERE id = :id;\n")
	return b.String()
}

// pgbenchOneTenant is the point select on fleet tenant 0 only.
func pgbenchOneTenant() string {
	return fmt.Sprintf("\\set id random(1, %d)\nSELECT id, plan_id, name, qty, note FROM tenant_%s.items WHERE id = :id;\n",
		fleetItems, fleetID(0))
}

// progressLine is a line of pgbench's -P output.
var progressLine = regexp.MustCompile(`(?m)^progress: ([0-9.]+) s, ([0-9.]+) tps`)

// steadyTPS returns the mean rate of pgbench's progress lines after from
// seconds.
func steadyTPS(progress string, from float64) (float64, error) {
	var sum float64
	var n int
	for _, m := range progressLine.FindAllStringSubmatch(progress, -1) {
		at, _ := strconv.ParseFloat(m[1], 64)
		tps, _ := strconv.ParseFloat(m[2], 64)
		if at > from {
			sum += tps
			n++
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("no pgbench progress after %.0f s", from)
	}
	return sum / float64(n), nil
}

// pgbench runs script with the harness's clients for warm then d seconds
// (whole seconds) in mode ("simple" or "prepared") on the fleet, and
// returns the rate of the last d seconds.
func (h *harness) pgbench(ctx context.Context, script, mode string, warm, d int) (float64, error) {
	dir, err := os.MkdirTemp("", "tenantc-pgbench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	f := filepath.Join(dir, "select.sql")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		return 0, err
	}
	return h.runPgbench(ctx, []string{"-M", mode, "-c", strconv.Itoa(h.o.Clients), "-j", "2", "-D", "k=0", "-f", f}, warm, d)
}

// runPgbench runs pgbench with args on the fleet for warm then d seconds,
// and returns the rate of the last d seconds.
func (h *harness) runPgbench(ctx context.Context, args []string, warm, d int) (float64, error) {
	bin, err := pgserver.BinDir()
	if err != nil {
		return 0, err
	}
	args = append([]string{"-n", "-T", strconv.Itoa(warm + d), "-P", "1"}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "pgbench"), append(args, h.fleetURL)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("pgbench: %w: %s", err, firstLine(out.String()))
	}
	return steadyTPS(out.String(), float64(warm))
}

// maxScripts is the most scripts pgbench takes (its MAX_SCRIPTS).
const maxScripts = 128

// preparedScripts writes to dir the scripts of the point select over the
// fleet tenants [lo, hi), to run in prepared mode, and returns pgbench's
// arguments naming them. Each tenant's statement is a command of its own,
// so that pgbench prepares one per tenant on each connection. pgbench
// picks a script at random per call, weighted by its tenants (at most
// maxScripts, so each covers a range of tenants); a script picks one of
// its tenants at random and
// reaches its command through a binary tree of \if, a few comparisons
// however many tenants it covers (pgbench walks past the commands of a
// false branch one by one, so a flat chain would cost it as much as a
// query). With same, every command queries tenant lo: the same scripts
// and the same number of prepared statements, on one tenant's table.
func preparedScripts(dir string, lo, hi int, same bool) ([]string, error) {
	n := hi - lo
	k := min(n, maxScripts)
	var args []string
	for i := range k {
		a, b := lo+i*n/k, lo+(i+1)*n/k
		var s strings.Builder
		fmt.Fprintf(&s, "\\set id random(1, %d)\n", fleetItems)
		if b-a > 1 {
			fmt.Fprintf(&s, "\\set t random(%d, %d)\n", a, b-1)
		}
		var tree func(a, b int)
		tree = func(a, b int) {
			if b-a == 1 {
				t := a
				if same {
					t = lo
				}
				fmt.Fprintf(&s, "SELECT id, plan_id, name, qty, note FROM tenant_%s.items WHERE id = :id;\n", fleetID(t))
				return
			}
			m := (a + b) / 2
			fmt.Fprintf(&s, "\\if :t < %d\n", m)
			tree(a, m)
			s.WriteString("\\else\n")
			tree(m, b)
			s.WriteString("\\endif\n")
		}
		tree(a, b)
		f := filepath.Join(dir, fmt.Sprintf("select%03d.sql", i))
		if err := os.WriteFile(f, []byte(s.String()), 0o644); err != nil {
			return nil, err
		}
		// Weighted by its tenants, so that every tenant is as likely.
		args = append(args, "-f", fmt.Sprintf("%s@%d", f, b-a))
	}
	return args, nil
}

// pgbenchPrepared runs the prepared point select over the first n fleet
// tenants for warm then d seconds and returns the rate of the last d
// seconds: with the harness's clients on one pgbench, every connection
// serving every tenant; partitioned, as that many pgbench processes of one
// connection each, each serving its own 1/clients of the tenants. With
// same, on one tenant with the fleet's scripts (see preparedScripts).
func (h *harness) pgbenchPrepared(ctx context.Context, n int, partitioned, same bool, warm, d int) (float64, error) {
	dir, err := os.MkdirTemp("", "tenantc-pgbench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if !partitioned {
		args, err := preparedScripts(dir, 0, n, same)
		if err != nil {
			return 0, err
		}
		return h.runPgbench(ctx, append([]string{"-M", "prepared", "-c", strconv.Itoa(h.o.Clients), "-j", "2"}, args...), warm, d)
	}
	c := h.o.Clients
	g, gctx := errgroup.WithContext(ctx)
	rates := make([]float64, c)
	for i := range c {
		sub := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			return 0, err
		}
		lo, hi := i*n/c, (i+1)*n/c
		if n < c {
			// Fewer tenants than processes: each process serves them all.
			lo, hi = 0, n
		}
		args, err := preparedScripts(sub, lo, hi, same)
		if err != nil {
			return 0, err
		}
		g.Go(func() (err error) {
			rates[i], err = h.runPgbench(gctx, append([]string{"-M", "prepared", "-c", "1", "-j", "1"}, args...), warm, d)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	var sum float64
	for _, r := range rates {
		sum += r
	}
	return sum, nil
}

// ceiling adds P2's pgbench rows: one tenant prepared and in the simple
// protocol; each fleet size prepared, every connection serving every
// tenant (up to 1,000 tenants: beyond, each backend would hold the whole
// fleet's plans) and each its own part of the fleet; the largest of the
// former on one tenant with the same scripts; and the fleet in the simple
// protocol. A row's baseline is one tenant prepared run the same way (one
// pgbench of the harness's clients, or as many pgbench of one connection),
// measured before and after the others and averaged.
func (h *harness) ceiling(ctx context.Context) error {
	d := max(1, int(h.o.Duration.Round(time.Second)/time.Second))
	c := h.o.Clients
	shared, split := fmt.Sprintf("-c %d -j 2", c), fmt.Sprintf("%d processes of -c 1", c)
	note := func(procs string, warm int) string {
		return fmt.Sprintf("pgbench %s, C client; rate of the last %d s after %d s of warming", procs, d, warm)
	}
	oneTenant := func() (one, oneSplit float64, err error) {
		if one, err = h.pgbench(ctx, pgbenchOneTenant(), "prepared", 2, d); err != nil {
			return 0, 0, fmt.Errorf("pgbench one tenant: %w", err)
		}
		if oneSplit, err = h.pgbenchPrepared(ctx, 1, true, false, 2, d); err != nil {
			return 0, 0, fmt.Errorf("pgbench one tenant, %s: %w", split, err)
		}
		return one, oneSplit, nil
	}
	first, firstSplit, err := oneTenant()
	if err != nil {
		return err
	}
	// Each row, and whether it ran as processes of one connection (its
	// baseline is then one tenant run the same way).
	type row struct {
		Row
		split bool
	}
	var rows []row
	add := func(variant string, v float64, procs string, warm int) {
		rows = append(rows, row{Row{Scenario: "P2", Variant: "server ceiling: pgbench, " + variant, Value: v, Unit: "ops/s",
			BaselineName: "pgbench 1 tenant", Note: note(procs, warm)}, procs == split})
	}
	oneSimple, err := h.pgbench(ctx, pgbenchOneTenant(), "simple", 2, d)
	if err != nil {
		return fmt.Errorf("pgbench one tenant: %w", err)
	}
	add("1 tenant, simple protocol", oneSimple, shared, 2)
	// A connection prepares a tenant's statement on its first call for
	// it; calls pick tenants at random, so that takes about n ln n calls,
	// at some thousands a second per connection.
	warmFor := func(n int) int { return 2 + n/150 }
	largestShared := 0
	for _, n := range fleetSizes(len(h.tenants)) {
		if n <= 1000 {
			w := warmFor(n)
			v, err := h.pgbenchPrepared(ctx, n, false, false, w, d)
			if err != nil {
				return fmt.Errorf("pgbench %d tenants: %w", n, err)
			}
			add(fmt.Sprintf("%d tenants, prepared, every connection serving every tenant", n), v, shared, w)
			largestShared = n
		}
		w := warmFor(n / c)
		v, err := h.pgbenchPrepared(ctx, n, true, false, w, d)
		if err != nil {
			return fmt.Errorf("pgbench %d tenants, %s: %w", n, split, err)
		}
		add(fmt.Sprintf("%d tenants, prepared, each connection its own 1/%d of them", n, c), v, split, w)
	}
	if largestShared > 0 {
		w := warmFor(largestShared)
		v, err := h.pgbenchPrepared(ctx, largestShared, false, true, w, d)
		if err != nil {
			return fmt.Errorf("pgbench one tenant, fleet scripts: %w", err)
		}
		add(fmt.Sprintf("1 tenant, prepared, the %d-tenant scripts (%d statements on one table)", largestShared, largestShared), v, shared, w)
	}
	n := len(h.tenants)
	// Every client visits every tenant first; a backend loads a tenant's
	// catalog entries at a few hundred a second when eight share two
	// busy cores.
	warm := max(2, n/330)
	fleet, err := h.pgbench(ctx, pgbenchScript(n), "simple", warm, d)
	if err != nil {
		return fmt.Errorf("pgbench fleet: %w", err)
	}
	add(fmt.Sprintf("%d tenants, simple protocol, schema in the text", n), fleet, shared, warm)
	last, lastSplit, err := oneTenant()
	if err != nil {
		return err
	}
	one, oneSplit := (first+last)/2, (firstSplit+lastSplit)/2
	mean := func(a, b float64) string {
		return fmt.Sprintf("mean of %.0f before and %.0f after the other pgbench rows", a, b)
	}
	h.add(Row{Scenario: "P2", Variant: "server ceiling: pgbench, 1 tenant, prepared", Value: one, Unit: "ops/s",
		Note: note(shared, 2) + "; " + mean(first, last)})
	h.add(Row{Scenario: "P2", Variant: fmt.Sprintf("server ceiling: pgbench, 1 tenant, prepared, %s", split), Value: oneSplit, Unit: "ops/s",
		Note: note(split, 2) + "; " + mean(firstSplit, lastSplit)})
	for _, r := range rows {
		r.Baseline = one
		if r.split {
			r.Baseline, r.BaselineName = oneSplit, "pgbench 1 tenant, "+split
		}
		h.add(r.Row)
	}
	return nil
}
