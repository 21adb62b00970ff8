//go:generate go run github.com/tenantc/tenantc/cmd/tenantc generate

// Command shop is the tenantc example: a marketplace API where every shop
// is a tenant. Users and the shop registry are shared; each shop's products
// and orders live in the shop's own schema.
//
//	go run ./examples/shop              # throwaway PostgreSQL, serves on 127.0.0.1
//	go run ./examples/shop -url $URL    # or your database (it creates tables)
//	go run ./examples/shop -selftest    # exercise the API over HTTP, exit 0 or 1
//
// At start-up it applies the embedded migrations (migrations/shared once,
// migrations/tenant for every shop), creates three demo shops through the
// same code path as POST /shops, fills each through the generated,
// tenant-bound query code and prints what each shop sees: only its own rows.
// Then it serves the API (see server) and prints curl lines to try.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/config"
	"github.com/tenantc/tenantc/examples/shop/internal/db"
	"github.com/tenantc/tenantc/internal/pgserver"
	"github.com/tenantc/tenantc/migrate"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenantlog"
)

// migrationFiles holds migrations/shared and migrations/tenant, written by
// `tenantc migrate diff NAME -f examples/shop/tenantc.yaml`.
//
//go:embed migrations
var migrationFiles embed.FS

func main() {
	// SIGTERM (a container stop, a process manager) ends it as Ctrl-C
	// does: the server shuts down and the throwaway database is removed.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// shopConfig is tenantc.yaml's runtime part, built in code so the binary
// needs no config, schema or query files (a test checks they agree).
func shopConfig() *config.Config {
	cfg := config.Default()
	cfg.SharedSchema = "public"
	cfg.TenantSchema = "shop_{id}"
	cfg.Registry.Table = "shops"
	return &cfg
}

// migrations returns the embedded migration directories.
func migrations() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("shop", flag.ContinueOnError)
	flags.SetOutput(stderr)
	url := flags.String("url", "", "PostgreSQL URL of a database to use; empty starts a throwaway server")
	addr := flags.String("addr", "127.0.0.1:0", "address to serve on (port 0 picks a free port)")
	selftest := flags.Bool("selftest", false, "exercise the API over HTTP, print the result and exit 0 or 1")
	verbose := flags.Bool("v", false, "log every query with its tenant")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(tenantlog.NewHandler(clientErrors{slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})}))
	if err := serve(ctx, *url, *addr, *selftest, stdout, logger); err != nil {
		fmt.Fprintln(stderr, "shop:", err)
		return 1
	}
	return 0
}

// serve sets up the database and the demo shops, then serves the API until
// ctx ends, or runs the self-test against it.
func serve(ctx context.Context, url, addr string, selftest bool, out io.Writer, logger *slog.Logger) error {
	if url == "" {
		fmt.Fprintln(out, "starting a throwaway PostgreSQL…")
		srv, err := pgserver.Start(ctx, pgserver.Options{})
		if err != nil {
			return err
		}
		defer srv.Stop()
		url = srv.URL("postgres")
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	// Every query is logged (at debug; failures at warn) with its shop.
	pcfg.ConnConfig.Tracer = tenantlog.NewTracer(nil, logger)
	// One pool for everything: migrations, shared queries and every
	// shop's queries, each shop routed to its own connections.
	pool, err := tenancy.NewPool(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()

	cfg := shopConfig()
	res, err := migrate.Apply(ctx, pool, cfg, migrate.WithMigrationsFS(migrations()), migrate.WithLogger(logger))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	logger.Info("migrated", "shared_applied", len(res.Shared.Applied), "tenants", res.Total)

	tok, err := newTokens(time.Hour)
	if err != nil {
		return err
	}
	s := &server{
		pool:       pool,
		cfg:        cfg,
		migrations: migrations(),
		reg:        db.NewRegistry(pool, tenancy.WithTTL(registryTTL)),
		tokens:     tok,
		log:        logger,
	}
	demoToken, err := s.seed(ctx, out)
	if err != nil {
		return fmt.Errorf("demo shops: %w", err)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	defer hs.Close()
	base := "http://" + ln.Addr().String()

	if selftest {
		fmt.Fprintln(out, "\nself-test against", base)
		if err := runSelftest(ctx, base, out); err != nil {
			return err
		}
		fmt.Fprintln(out, "self-test passed")
		return nil
	}
	printTryIt(out, base, demoToken)
	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

func printTryIt(out io.Writer, base, token string) {
	fmt.Fprintf(out, `
serving on %[1]s (Ctrl-C or SIGTERM stops). Try:

  curl -s %[1]s/shops
  TOKEN=%[2]s   # wile@acme.test, shop acme
  curl -s -H "Authorization: Bearer $TOKEN" %[1]s/products
  curl -s -H "Authorization: Bearer $TOKEN" %[1]s/orders
  curl -s -H "Authorization: Bearer $TOKEN" -d '{"name":"Giant magnet","price_cents":4999}' %[1]s/products
  curl -s -d '{"email":"you@example.test","password":"correct horse"}' %[1]s/users
  curl -s -d '{"email":"you@example.test","password":"correct horse"}' %[1]s/login
  curl -s -H "Authorization: Bearer <token from login>" -d '{"id":"yours","name":"Your shop"}' %[1]s/shops
`, base, token)
}

// demoPassword is the password of the demo shop owners.
const demoPassword = "demo-password"

// shop is one demo tenant and what it sells.
type shop struct {
	id, name, owner string
	products        []db.CreateProductParams
}

func demoShops() []shop {
	return []shop{
		{id: "acme", name: "ACME Tools", owner: "wile@acme.test", products: []db.CreateProductParams{
			{Name: "Anvil", PriceCents: 9900, Tags: []string{"heavy"}},
			{Name: "Rocket skates", PriceCents: 24900, Tags: []string{"fast", "risky"}},
		}},
		{id: "globex", name: "Globex Gadgets", owner: "hank@globex.test", products: []db.CreateProductParams{
			{Name: "Doomsday device", PriceCents: 1000000, Tags: []string{"limited"}},
		}},
		{id: "initech", name: "Initech Supplies", owner: "bill@initech.test", products: []db.CreateProductParams{
			{Name: "Red stapler", PriceCents: 1299, Tags: []string{"office"}},
			{Name: "TPS cover sheet", PriceCents: 5, Tags: []string{"office", "paper"}},
			{Name: "Printer", PriceCents: 19900, Tags: []string{}},
		}},
	}
}

// seed creates the demo shops unless they exist (a database given with
// -url may have them from an earlier run), prints what each holds, and
// returns a token for acme's owner.
func (s *server) seed(ctx context.Context, out io.Writer) (string, error) {
	q := db.New(s.pool)
	shops := demoShops()
	for _, sh := range shops {
		if _, err := q.GetShop(ctx, sh.id); err == nil {
			continue
		}
		owner, err := s.createUser(ctx, sh.owner, demoPassword)
		if err != nil {
			return "", err
		}
		if _, err := s.createTenant(ctx, newShop{ID: sh.id, Name: sh.name}, owner.ID); err != nil {
			return "", err
		}
		// Tenants come from the registry (the shared shops table); a
		// tenant-bound connection is the only way to the tenant queries.
		t, err := s.reg.Lookup(ctx, sh.id)
		if err != nil {
			return "", err
		}
		if err := fill(ctx, db.NewTenant(s.pool.Bind(t)), sh); err != nil {
			return "", fmt.Errorf("shop %s: %w", sh.id, err)
		}
	}
	for _, sh := range shops {
		t, err := s.reg.Lookup(ctx, sh.id)
		if err != nil {
			return "", err
		}
		if err := report(ctx, out, db.NewTenant(s.pool.Bind(t)), sh); err != nil {
			return "", fmt.Errorf("shop %s: %w", sh.id, err)
		}
	}
	var unbound db.TenantQueries
	if _, err := unbound.ListProducts(ctx); errors.Is(err, tenancy.ErrUnbound) {
		fmt.Fprintln(out, "\nwithout a tenant: ListProducts →", err)
	}
	acme, err := q.GetShop(ctx, "acme")
	if err != nil {
		return "", err
	}
	return s.tokens.issue(acme.OwnerID, "acme")
}

func fill(ctx context.Context, q *db.TenantQueries, s shop) error {
	var buyer int64
	for i, p := range s.products {
		prod, err := q.CreateProduct(ctx, p)
		if err != nil {
			return err
		}
		if buyer == 0 {
			// Shared queries are reachable from the tenant-bound queries too.
			u, err := q.GetUserByEmail(ctx, s.owner)
			if err != nil {
				return err
			}
			buyer = u.ID
		}
		o, err := q.PlaceOrder(ctx, db.PlaceOrderParams{ProductID: prod.ID, BuyerID: buyer, Quantity: int32(i + 1)})
		if err != nil {
			return err
		}
		if i%2 == 0 {
			if _, err := q.SetOrderStatus(ctx, db.SetOrderStatusParams{Status: db.OrderStatusPaid, ID: o.ID}); err != nil {
				return err
			}
		}
	}
	// Bulk import through COPY into the tenant's own table.
	_, err := q.ImportProducts(ctx, []db.ImportProductsParams{
		{Name: s.name + " gift card", PriceCents: 2500, Tags: []string{"gift"}},
	})
	return err
}

func report(ctx context.Context, out io.Writer, q *db.TenantQueries, s shop) error {
	t := q.Tenant()
	fmt.Fprintf(out, "\n== %s (tenant %s, schema %s)\n", s.name, t.ID(), t.Schema())
	products, err := q.ListProducts(ctx)
	if err != nil {
		return err
	}
	for _, p := range products {
		fmt.Fprintf(out, "  product %-26s %10s  %s\n", p.Name, money(int64(p.PriceCents)), strings.Join(p.Tags, ","))
	}
	orders, err := q.ListOrders(ctx)
	if err != nil {
		return err
	}
	for _, o := range orders {
		fmt.Fprintf(out, "  order #%d  %d × %-18s %-9s by %s\n", o.ID, o.Quantity, o.Product, o.Status, o.Buyer)
	}
	rev, err := q.Revenue(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  revenue: %s from %d paid orders\n", money(rev.Cents), rev.Orders)
	return nil
}

func money(cents int64) string {
	return fmt.Sprintf("$%d.%02d", cents/100, cents%100)
}
