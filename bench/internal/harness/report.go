package harness

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"
)

// Row is one line of the result table.
type Row struct {
	Scenario string
	Variant  string
	// Value is the measurement in Unit: "ops/s" (more is better) or a
	// time unit such as "ms" (less is better).
	Value float64
	Unit  string
	// Baseline is the same-run measurement Value is compared with, and
	// BaselineName says what it is; zero when the row has none.
	Baseline     float64
	BaselineName string
	// Target is the ratio Value/Baseline must reach: at least Target for
	// ops/s, at most Target for times. Zero: no target.
	Target float64
	// CPU is the client and server CPU time per operation (ops/s rows).
	CPU opCPU
	// Load is the 1-minute load average when the row was measured.
	Load string
	// Note is printed after the row.
	Note string
}

// opCPU is the CPU time per operation: all of it, the client's and the
// server's, and the client's part (0: not measured apart).
type opCPU struct{ all, client time.Duration }

// String formats c, with the client's part when it was measured apart:
// "196 us (55 client)".
func (c opCPU) String() string {
	s := fmt.Sprintf("%.0f us", float64(c.all)/float64(time.Microsecond))
	if c.client > 0 {
		s += fmt.Sprintf(" (%.0f client)", float64(c.client)/float64(time.Microsecond))
	}
	return s
}

// meanCPU is the mean of a and b, for a baseline measured before and
// after the rows it is the baseline of.
func meanCPU(a, b opCPU) opCPU { return opCPU{(a.all + b.all) / 2, (a.client + b.client) / 2} }

func (r Row) higherIsBetter() bool { return r.Unit == "ops/s" }

// ratio returns Value/Baseline, or NaN without a baseline.
func (r Row) ratio() float64 {
	if r.Baseline == 0 {
		return math.NaN()
	}
	return r.Value / r.Baseline
}

func (r Row) met() string {
	if r.Target == 0 || r.Baseline == 0 {
		return "-"
	}
	ok := r.ratio() >= r.Target
	if !r.higherIsBetter() {
		ok = r.ratio() <= r.Target
	}
	if ok {
		return "yes"
	}
	return "NO"
}

func (r Row) target() string {
	if r.Target == 0 {
		return "-"
	}
	if r.higherIsBetter() {
		return fmt.Sprintf(">= %.2fx", r.Target)
	}
	return fmt.Sprintf("<= %.2fx", r.Target)
}

func formatValue(v float64, unit string) string {
	switch {
	case unit == "":
		return "-"
	case unit == "ops/s":
		return fmt.Sprintf("%.0f ops/s", v)
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	default:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
}

// add records a row, stamping it with the current load average.
func (h *harness) add(r Row) {
	if r.Load == "" {
		r.Load = loadAvg()
	}
	h.rows = append(h.rows, r)
	ratio := ""
	if r.Baseline != 0 {
		ratio = fmt.Sprintf(" (%s of %s)", formatRatio(r.ratio()), r.BaselineName)
	}
	cpu := ""
	if r.CPU.all > 0 {
		cpu = fmt.Sprintf(", %s CPU/op", r.CPU)
	}
	h.logf("  %s %s: %s%s%s", r.Scenario, r.Variant, formatValue(r.Value, r.Unit), ratio, cpu)
}

// printTable prints every row recorded so far.
func (h *harness) printTable(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tvariant\tresult\tbaseline\tratio\ttarget\tmet\tcpu/op\tload\tnote")
	for _, r := range h.rows {
		base, ratio := "-", "-"
		if r.Baseline != 0 {
			base = r.BaselineName + " " + formatValue(r.Baseline, r.Unit)
			ratio = formatRatio(r.ratio())
		}
		cpu := "-"
		if r.CPU.all > 0 {
			cpu = r.CPU.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Variant,
			formatValue(r.Value, r.Unit), base, ratio, r.target(), r.met(), cpu, r.Load, r.Note)
	}
	tw.Flush()
}

// ms converts d to milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// formatRatio prints a ratio with two decimals, or three significant
// digits below 0.1 so that a large win does not print as 0.00x.
func formatRatio(x float64) string {
	if x < 0.1 {
		return fmt.Sprintf("%.3gx", x)
	}
	return fmt.Sprintf("%.2fx", x)
}

// mib formats a byte count in MiB.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
