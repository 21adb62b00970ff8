package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/examples/shop/internal/db"
	"github.com/tenantc/tenantc/internal/pgserver"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

func TestMain(m *testing.M) {
	if os.Getenv(mainChildEnv) != "" {
		// TestSignals' child: the binary as a user runs it.
		os.Args = []string{"shop"}
		main()
	}
	tenanttest.Main(m)
}

const mainChildEnv = "SHOP_MAIN_CHILD"

// TestSignals stops the example serving on a throwaway database with
// SIGINT and with SIGTERM: both remove the database's directory.
func TestSignals(t *testing.T) {
	if _, err := pgserver.BinDir(); err != nil {
		t.Skip(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp, err := os.MkdirTemp("", "shop-signal-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(tmp) })
			// The server's user must be able to enter it.
			if err := os.Chmod(tmp, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), mainChildEnv+"=1", "TMPDIR="+tmp)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			serving := false
			for !serving && sc.Scan() {
				serving = strings.HasPrefix(sc.Text(), "serving on ")
			}
			if !serving {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("the example never served")
			}
			go io.Copy(io.Discard, out)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("after %v: %v, want exit 0", sig, err)
			}
			if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
				t.Errorf("after %v, TMPDIR holds %v", sig, entries)
			}
		})
	}
}

// newEnv is a migrated database for the shop, from the embedded migrations
// the binary uses.
func newEnv(t *testing.T) *tenanttest.Env {
	return tenanttest.New(t, tenanttest.WithConfig(shopConfig()), tenanttest.WithMigrationsFS(migrations()))
}

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

// TestSelftest runs the binary's -selftest mode against a fresh database:
// the demo shops are created and reported, then the API is exercised over
// HTTP on loopback. CI runs this (and `go run ./examples/shop -selftest`).
func TestSelftest(t *testing.T) {
	env := newEnv(t)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-url", env.URL, "-selftest"}, &out, &errOut); code != 0 {
		t.Fatalf("run -selftest = %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "\nself-test passed\n") || strings.Contains(out.String(), "FAIL") {
		t.Errorf("self-test output:\n%s", out.String())
	}
	if strings.Contains(errOut.String(), "request failed") {
		t.Errorf("a request failed with 500:\n%s", errOut.String())
	}
	// The self-test provokes client errors (an order of a missing
	// product, a delete of an ordered one) on purpose: not warnings.
	if strings.Contains(errOut.String(), "level=WARN") {
		t.Errorf("the self-test logged warnings:\n%s", errOut.String())
	}

	want := wantProducts()
	var all []string
	for _, names := range want {
		all = append(all, names...)
	}
	demo, _, _ := strings.Cut(out.String(), "\nself-test against")
	sections, rest := parseSections(t, demo, all)
	if len(sections) != len(want) {
		t.Errorf("%d shop sections, want %d:\n%s", len(sections), len(want), demo)
	}
	for shop, products := range want {
		sec := sections[shop]
		if sec == nil {
			t.Errorf("no section for %s:\n%s", shop, demo)
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

	// A second start on the same database keeps the demo shops as they are.
	out.Reset()
	if code := run(context.Background(), []string{"-url", env.URL, "-selftest"}, &out, &errOut); code != 0 {
		t.Fatalf("second run -selftest = %d\n%s\n%s", code, out.String(), errOut.String())
	}
	demo, _, _ = strings.Cut(out.String(), "\nself-test against")
	again, _ := parseSections(t, demo, all)
	for shop, products := range want {
		if sec := again[shop]; sec == nil || len(sec.products) != len(products) {
			t.Errorf("second run: %s lists %v, want %d products", shop, sec, len(products))
		}
	}
}

// TestConfigMatchesYAML checks that the config the binary builds in code
// says what tenantc.yaml says.
func TestConfigMatchesYAML(t *testing.T) {
	file, err := config.Load("tenantc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got := shopConfig()
	if got.SharedSchema != file.SharedSchema || got.TenantSchema != file.TenantSchema ||
		got.Registry != file.Registry || got.Migrations.Dir != file.Migrations.Dir {
		t.Errorf("shopConfig() = %+v, tenantc.yaml says %+v", *got, *file)
	}
}

// TestShopsAreTenants creates shops as the server does and checks, through
// the testing helpers and the generated code, that each sees only its own
// rows, and that the HTTP layer serves each token its own shop.
func TestShopsAreTenants(t *testing.T) {
	env := newEnv(t)
	ctx := context.Background()
	q := db.New(env.Pool)
	owners := map[string]int64{}
	for _, id := range []string{"acme", "globex"} {
		u, err := q.CreateUser(ctx, db.CreateUserParams{Email: id + "@shop.test", PasswordHash: "-"})
		if err != nil {
			t.Fatal(err)
		}
		owners[id] = u.ID
		env.CreateTenant(id, migrate.WithRegistryValues(map[string]any{"name": id + " shop", "owner_id": u.ID}))
	}
	shop, err := q.GetShop(ctx, "globex")
	if err != nil || shop.Name != "globex shop" || shop.OwnerID != owners["globex"] || shop.SchemaName != "shop_globex" {
		t.Errorf("registry row of globex = %+v, %v", shop, err)
	}
	if _, err := db.NewTenant(env.Conn("acme")).CreateProduct(ctx, db.CreateProductParams{Name: "Anvil", PriceCents: 1, Tags: []string{}}); err != nil {
		t.Fatal(err)
	}

	tok, err := newTokens(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{pool: env.Pool, cfg: env.Config, migrations: migrations(), reg: env.Registry, tokens: tok,
		log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(s.handler())
	defer srv.Close()
	for id, want := range map[string]int{"acme": 1, "globex": 0} {
		token, err := tok.issue(owners[id], id)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", srv.URL+"/products", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var products []db.Product
		err = json.NewDecoder(resp.Body).Decode(&products)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || len(products) != want {
			t.Errorf("%s: status %d, %d products (%v), want 200 and %d", id, resp.StatusCode, len(products), err, want)
		}
	}
}
