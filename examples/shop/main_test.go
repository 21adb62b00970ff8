package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// section is what the demo printed for one shop.
type section struct {
	header   string
	products []string // product names, in output order
	ordered  []string // product names of the orders
}

// parseSections splits the demo's output into one section per "== " header,
// keyed by the shop's display name, and returns the lines after the last
// section.
func parseSections(t *testing.T, out string, names []string) (map[string]*section, []string) {
	t.Helper()
	sections := map[string]*section{}
	var cur *section
	var rest []string
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "== "):
			shop, _, _ := strings.Cut(strings.TrimPrefix(line, "== "), " (")
			if sections[shop] != nil {
				t.Errorf("shop %q printed twice", shop)
			}
			cur = &section{header: line}
			sections[shop] = cur
		case line == "":
			cur = nil
		case cur == nil:
			rest = append(rest, line)
		case strings.HasPrefix(line, "  product "):
			cur.products = append(cur.products, knownName(t, strings.TrimPrefix(line, "  product "), names))
		case strings.HasPrefix(line, "  order #"):
			_, after, ok := strings.Cut(line, " × ")
			if !ok {
				t.Errorf("order line without a product: %q", line)
				continue
			}
			cur.ordered = append(cur.ordered, knownName(t, after, names))
		}
	}
	return sections, rest
}

// knownName returns the longest of names that s starts with, followed by a
// space or the end: product names contain spaces and are padded.
func knownName(t *testing.T, s string, names []string) string {
	t.Helper()
	best := ""
	for _, n := range names {
		if len(n) > len(best) && strings.HasPrefix(s, n) && (len(s) == len(n) || s[len(n)] == ' ') {
			best = n
		}
	}
	if best == "" {
		t.Errorf("unknown product in %q", s)
		return s
	}
	return best
}

// wantProducts returns each shop's product names, keyed by display name:
// what it creates one by one and its imported gift card.
func wantProducts() map[string][]string {
	want := map[string][]string{}
	for _, s := range demoShops() {
		for _, p := range s.products {
			want[s.name] = append(want[s.name], p.Name)
		}
		want[s.name] = append(want[s.name], s.name+" gift card")
	}
	return want
}

func TestRunShowsEachShopOnlyItsOwnRows(t *testing.T) {
	url := pgtest.NewDatabase(t)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-url", url}, &out, &errOut); code != 0 {
		t.Fatalf("run = %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr is not empty:\n%s", errOut.String())
	}

	want := wantProducts()
	var all []string
	for _, names := range want {
		all = append(all, names...)
	}
	sections, rest := parseSections(t, out.String(), all)
	if len(sections) != len(want) {
		t.Errorf("%d shop sections, want %d:\n%s", len(sections), len(want), out.String())
	}
	for shop, products := range want {
		sec := sections[shop]
		if sec == nil {
			t.Errorf("no section for %s:\n%s", shop, out.String())
			continue
		}
		got := slices.Sorted(slices.Values(sec.products))
		if diff := cmp.Diff(slices.Sorted(slices.Values(products)), got); diff != "" {
			t.Errorf("%s lists other products (-want +got):\n%s", shop, diff)
		}
		// Orders are placed for the products created one by one, never for
		// another shop's.
		if len(sec.ordered) != len(products)-1 {
			t.Errorf("%s: %d orders, want %d", shop, len(sec.ordered), len(products)-1)
		}
		for _, p := range sec.ordered {
			if !slices.Contains(products, p) {
				t.Errorf("%s shows an order of %q, not one of its products", shop, p)
			}
		}
	}

	wantUnbound := "without a tenant: ListProducts → " + tenancy.ErrUnbound.Error()
	if !slices.Contains(rest, wantUnbound) {
		t.Errorf("output does not report the unbound call as %q; after the shops:\n%s", wantUnbound, strings.Join(rest, "\n"))
	}
}
