package harness

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		ok      bool
		tenants int
		dur     time.Duration
		tables  string
		only    []string
	}{
		{"defaults", nil, true, 10000, 5 * time.Second, "all", nil},
		{"short", []string{"-short"}, true, 1000, time.Second, "core", nil},
		{"explicit", []string{"-short", "-tenants", "50", "-duration", "2s", "-fleet-tables", "all", "-only", "p1, P3"}, true, 50, 2 * time.Second, "all", []string{"P1", "P3"}},
		{"P9", []string{"-short", "-only", "p9"}, true, 1000, time.Second, "core", []string{"P9"}},
		{"P10", []string{"-only", "p10"}, true, 10000, 5 * time.Second, "all", []string{"P10"}},
		{"unknown scenario", []string{"-only", "P11"}, false, 0, 0, "", nil},
		{"bad tables", []string{"-fleet-tables", "some"}, false, 0, 0, "", nil},
		{"negative", []string{"-clients", "-1"}, false, 0, 0, "", nil},
		{"argument", []string{"extra"}, false, 0, 0, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, io.Discard)
			if tt.ok != (err == nil) {
				t.Fatalf("parseOptions(%q) error = %v, want ok=%v", tt.args, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if o.Tenants != tt.tenants || o.Duration != tt.dur || o.FleetTables != tt.tables {
				t.Errorf("got tenants=%d duration=%s fleet-tables=%s", o.Tenants, o.Duration, o.FleetTables)
			}
			if len(tt.only) == 0 && o.Only != nil {
				t.Errorf("Only = %v, want all", o.Only)
			}
			for _, s := range tt.only {
				if !o.runs(s) {
					t.Errorf("scenario %s not selected", s)
				}
			}
			if len(tt.only) > 0 && o.runs("P2") {
				t.Error("P2 selected")
			}
		})
	}
}

func TestRowMet(t *testing.T) {
	tests := []struct {
		r    Row
		met  string
		want string // ratio
	}{
		{Row{Value: 98, Baseline: 100, Unit: "ops/s", Target: 0.97}, "yes", "0.98x"},
		{Row{Value: 96, Baseline: 100, Unit: "ops/s", Target: 0.97}, "NO", "0.96x"},
		{Row{Value: 140, Baseline: 100, Unit: "ms", Target: 1.5}, "yes", "1.40x"},
		{Row{Value: 160, Baseline: 100, Unit: "ms", Target: 1.5}, "NO", "1.60x"},
		{Row{Value: 1, Baseline: 1000, Unit: "ms"}, "-", "0.001x"},
		{Row{Value: 5, Unit: "ms", Target: 1}, "-", ""},
	}
	for _, tt := range tests {
		if got := tt.r.met(); got != tt.met {
			t.Errorf("%+v: met() = %q, want %q", tt.r, got, tt.met)
		}
		if tt.want != "" {
			if got := formatRatio(tt.r.ratio()); got != tt.want {
				t.Errorf("%+v: ratio %q, want %q", tt.r, got, tt.want)
			}
		}
	}
}

func TestFleetSizes(t *testing.T) {
	tests := []struct {
		n      int
		want   []int
		target []float64
		reach  []int
	}{
		{50, []int{50}, []float64{0.85}, nil},
		{100, []int{100}, []float64{0.85}, nil},
		{1000, []int{100, 1000}, []float64{0.85, 0.85}, []int{1000}},
		{5000, []int{100, 1000, 5000}, []float64{0.85, 0.85, 0.6}, []int{1000, 5000}},
		{10000, []int{100, 1000, 10000}, []float64{0.85, 0.85, 0.6}, []int{1000, 10000}},
		{20000, []int{100, 1000, 10000, 20000}, []float64{0.85, 0.85, 0.6, 0.6}, []int{1000, 10000, 20000}},
	}
	for _, tt := range tests {
		if got := reachSizes(tt.n); !slices.Equal(got, tt.reach) {
			t.Errorf("reachSizes(%d) = %v, want %v", tt.n, got, tt.reach)
		}
		got := fleetSizes(tt.n)
		if !slices.Equal(got, tt.want) {
			t.Errorf("fleetSizes(%d) = %v, want %v", tt.n, got, tt.want)
			continue
		}
		for i, n := range got {
			if g := fleetTarget(n); g != tt.target[i] {
				t.Errorf("fleetTarget(%d) = %v, want %v", n, g, tt.target[i])
			}
		}
	}
}

func TestP1Schedule(t *testing.T) {
	tests := []struct {
		d      time.Duration
		rounds int
		round  time.Duration
	}{
		{time.Second, 4, 250 * time.Millisecond}, // -short
		{3 * time.Second, 6, 500 * time.Millisecond},
		{12 * time.Second, 24, 500 * time.Millisecond},
		{1300 * time.Millisecond, 4, 325 * time.Millisecond},
		{2900 * time.Millisecond, 5, 580 * time.Millisecond},
	}
	for _, tt := range tests {
		rounds, round := p1Schedule(tt.d)
		if rounds != tt.rounds || round != tt.round {
			t.Errorf("p1Schedule(%s) = %d rounds of %s, want %d of %s", tt.d, rounds, round, tt.rounds, tt.round)
		}
	}
}

func TestBackendMemNote(t *testing.T) {
	m := backendMem{largest: 100 << 20, largestPlans: 60 << 20, maxPlans: 64 << 20, backends: 8}
	want := "largest of 8 backends 100.0 MiB, 60.0 MiB of it plans (most plans in one: 64.0 MiB)"
	if got := m.note(); got != want {
		t.Errorf("note() = %q, want %q", got, want)
	}
}

func TestSteadyTPS(t *testing.T) {
	progress := "starting vacuum...\nprogress: 1.0 s, 100.0 tps, lat 1.0 ms stddev 0.1, 0 failed\n" +
		"progress: 2.0 s, 300.0 tps, lat 1.0 ms stddev 0.1, 0 failed\nprogress: 3.0 s, 500.0 tps, lat 1.0 ms stddev 0.1, 0 failed\n"
	got, err := steadyTPS(progress, 1)
	if err != nil || got != 400 {
		t.Errorf("steadyTPS(after 1 s) = %v, %v; want 400", got, err)
	}
	if _, err := steadyTPS(progress, 3); err == nil {
		t.Error("steadyTPS(after 3 s): no error")
	}
}

func TestPgbenchScript(t *testing.T) {
	s := pgbenchScript(10000)
	for _, want := range []string{`\if :k < 10000`, `\set d0 (:t / 10000) % 10`, `\set d4 (:t / 1) % 10`,
		"FROM tenant_t:d0:d1:d2:d3:d4.items WHERE id = :id;"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	if fleetID(12345) != "t12345" {
		t.Errorf("fleetID(12345) = %q: the script builds five-digit ids", fleetID(12345))
	}
}

// TestPreparedScripts checks that the prepared fleet's scripts reach, for
// every tenant of a script's range, that tenant's statement and no other,
// that each tenant of the range has one statement in all, and that with
// same every statement is the first tenant's.
func TestPreparedScripts(t *testing.T) {
	for _, tc := range []struct {
		lo, hi, files int
		same          bool
	}{{0, 100, 100, false}, {0, 1000, maxScripts, false}, {1250, 2500, maxScripts, false}, {0, 1000, maxScripts, true}} {
		dir := t.TempDir()
		args, err := preparedScripts(dir, tc.lo, tc.hi, tc.same)
		if err != nil {
			t.Fatal(err)
		}
		if len(args) != 2*tc.files {
			t.Fatalf("[%d, %d): %d arguments, want %d files", tc.lo, tc.hi, len(args), tc.files)
		}
		statements := map[string]int{}
		reached := 0
		for i := 1; i < len(args); i += 2 {
			path, w, ok := strings.Cut(args[i], "@")
			if !ok {
				t.Fatalf("%s: no weight", args[i])
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			script := string(b)
			for _, l := range strings.Split(script, "\n") {
				if strings.HasPrefix(l, "SELECT") {
					statements[l]++
				}
			}
			// A script of one tenant has no \set t: its range is the
			// tenant of its statement.
			var a, z int
			if k := strings.Index(script, "\\set t "); k >= 0 {
				if _, err := fmt.Sscanf(script[k:], "\\set t random(%d, %d)", &a, &z); err != nil {
					t.Fatalf("%s: %v", args[i], err)
				}
				z++
			} else {
				j := strings.Index(script, "tenant_t")
				if _, err := fmt.Sscanf(script[j:], "tenant_t%05d", &a); err != nil {
					t.Fatalf("%s: %v", args[i], err)
				}
				z = a + 1
			}
			if w != strconv.Itoa(z-a) {
				t.Errorf("%s: weight %s for %d tenants", path, w, z-a)
			}
			for tenant := a; tenant < z; tenant++ {
				want := tenant
				if tc.same {
					want = tc.lo
				}
				if got := runTree(t, script, tenant); !strings.Contains(got, "tenant_"+fleetID(want)+".items") {
					t.Fatalf("%s, t = %d: runs %q, want tenant %d's", args[i], tenant, got, want)
				}
				reached++
			}
		}
		if reached != tc.hi-tc.lo {
			t.Errorf("[%d, %d): the scripts' ranges cover %d tenants", tc.lo, tc.hi, reached)
		}
		if want := tc.hi - tc.lo; !tc.same && len(statements) != want {
			t.Errorf("[%d, %d): %d distinct statements, want %d", tc.lo, tc.hi, len(statements), want)
		}
		for st, n := range statements {
			if !tc.same && n != 1 {
				t.Errorf("%q appears %d times", st, n)
			}
		}
	}
}

// runTree returns the statement script runs for :t = v, following its
// \if :t < m, \else and \endif as pgbench does; it fails when the script
// runs no statement or more than one.
func runTree(t *testing.T, script string, v int) string {
	t.Helper()
	var live []bool // per open \if: whether the current branch runs
	running := func() bool { return !slices.Contains(live, false) }
	var ran []string
	for _, l := range strings.Split(script, "\n") {
		switch {
		case strings.HasPrefix(l, "\\if :t < "):
			m, err := strconv.Atoi(strings.TrimPrefix(l, "\\if :t < "))
			if err != nil {
				t.Fatalf("bad line %q", l)
			}
			live = append(live, v < m)
		case l == "\\else":
			live[len(live)-1] = !live[len(live)-1]
		case l == "\\endif":
			live = live[:len(live)-1]
		case strings.HasPrefix(l, "SELECT") && running():
			ran = append(ran, l)
		}
	}
	if len(live) != 0 || len(ran) != 1 {
		t.Fatalf(":t = %d: %d open \\if, statements run %q", v, len(live), ran)
	}
	return ran[0]
}

// TestAlternateLoads checks that the two sides alternate which runs first,
// and that each side's rounds are merged: the mean rate, the total counts,
// and the CPU per operation weighted by operations.
func TestAlternateLoads(t *testing.T) {
	var order []string
	side := func(name string, rs ...loadResult) func() (loadResult, error) {
		i := 0
		return func() (loadResult, error) {
			order = append(order, name)
			i++
			return rs[i-1], nil
		}
	}
	a, b, err := alternateLoads(3,
		side("a", loadResult{opsPerSec: 100, ops: 100, calls: 110, cpu: opCPU{10 * time.Microsecond, 4 * time.Microsecond}},
			loadResult{opsPerSec: 200, ops: 300, calls: 310, cpu: opCPU{20 * time.Microsecond, 8 * time.Microsecond}},
			loadResult{opsPerSec: 300, ops: 100, calls: 110, cpu: opCPU{10 * time.Microsecond, 4 * time.Microsecond}}),
		side("b", loadResult{opsPerSec: 90, ops: 90}, loadResult{opsPerSec: 90, ops: 90, leaks: 1}, loadResult{opsPerSec: 90, ops: 90}))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(order, " "); got != "a b b a a b" {
		t.Errorf("order %q, want a b b a a b", got)
	}
	if a.opsPerSec != 200 || a.ops != 500 || a.calls != 530 || a.cpu.all != 16*time.Microsecond {
		t.Errorf("a merged = %+v, want 200 ops/s, 500 ops, 530 calls, 16µs/op", a)
	}
	if a.cpu.client != 6400*time.Nanosecond {
		t.Errorf("a merged: client %s per op, want 6.4µs, weighted by each round's ops", a.cpu.client)
	}
	if b.opsPerSec != 90 || b.ops != 270 || b.leaks != 1 {
		t.Errorf("b merged = %+v, want 90 ops/s, 270 ops, 1 leak", b)
	}
	if _, _, err := alternateLoads(2, side("a", loadResult{}), func() (loadResult, error) { return loadResult{}, io.ErrUnexpectedEOF }); err != io.ErrUnexpectedEOF {
		t.Errorf("error = %v, want the side's", err)
	}
}

// A pool settles once its backends are quiet: 16 s after the last was
// replaced over the memory bound, 32 s while none has been, because the
// warm-up's replacements come at the Pool's next memory readings, up to
// 15 s after it.
func TestSettleWaitsOutReplacements(t *testing.T) {
	for _, c := range []struct {
		replaced bool
		since    time.Duration
		want     bool
	}{
		{true, 10 * time.Second, false},
		{true, 17 * time.Second, true},
		{false, 17 * time.Second, false},
		{false, 31 * time.Second, false},
		{false, 33 * time.Second, true},
	} {
		if got := quiet(c.replaced, c.since); got != c.want {
			t.Errorf("replaced %v, %s since: quiet %v, want %v", c.replaced, c.since, got, c.want)
		}
	}
	h := &harness{o: Options{Duration: 3 * time.Second}}
	if m := h.settleMax(); m < 2*recycleQuiet+settleRound {
		t.Errorf("a pool settles for at most %s, too short to wait %s for a replacement after its warm-up", m, 2*recycleQuiet)
	}
}
