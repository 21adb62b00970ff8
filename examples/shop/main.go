//go:generate go run github.com/tenantc/tenantc/cmd/tenantc generate

// Command shop is the tenantc example: a marketplace where every shop is a
// tenant. Users and the shop registry are shared; each shop's products and
// orders live in the shop's own schema.
//
//	go run ./examples/shop            # starts a throwaway PostgreSQL
//	go run ./examples/shop -url $URL  # or uses yours (it creates tables)
//
// It creates three shops, fills each through the generated, tenant-bound
// query code, and prints what each shop sees: only its own rows.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantc/tenantc/examples/shop/internal/db"
	"github.com/tenantc/tenantc/internal/pgserver"
	"github.com/tenantc/tenantc/tenancy"
)

//go:embed schema/*.sql
var schemaFS embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "PostgreSQL URL of an empty database; empty starts a throwaway server")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := demo(ctx, *url, stdout); err != nil {
		fmt.Fprintln(stderr, "shop:", err)
		return 1
	}
	return 0
}

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

func demo(ctx context.Context, url string, out io.Writer) error {
	if url == "" {
		fmt.Fprintln(out, "starting a throwaway PostgreSQL…")
		srv, err := pgserver.Start(ctx, pgserver.Options{})
		if err != nil {
			return err
		}
		defer srv.Stop()
		url = srv.URL("postgres")
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()

	shared, tenant, err := readSchema()
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, shared); err != nil {
		return fmt.Errorf("creating shared tables: %w", err)
	}

	// Shared queries run on the pool: no tenant needed, none possible.
	q := db.New(pool)
	shops := demoShops()
	for _, s := range shops {
		owner, err := q.CreateUser(ctx, db.CreateUserParams{Email: s.owner, PasswordHash: "x"})
		if err != nil {
			return err
		}
		schemaName := "shop_" + s.id
		if err := createTenantSchema(ctx, pool, schemaName, tenant); err != nil {
			return err
		}
		if _, err := q.CreateShop(ctx, db.CreateShopParams{ID: s.id, SchemaName: schemaName, Name: s.name, OwnerID: owner.ID}); err != nil {
			return err
		}
	}

	// Tenants come from the registry (the shared shops table); a tenant-bound
	// connection is the only way to reach the tenant queries.
	reg := tenancy.NewRegistry(pool, tenancy.WithTable("public", "shops"))
	for _, s := range shops {
		t, err := reg.Lookup(ctx, s.id)
		if err != nil {
			return err
		}
		if err := fill(ctx, db.NewTenant(tenancy.Bind(pool, t)), s); err != nil {
			return fmt.Errorf("shop %s: %w", s.id, err)
		}
	}
	for _, s := range shops {
		t, err := reg.Lookup(ctx, s.id)
		if err != nil {
			return err
		}
		if err := report(ctx, out, db.NewTenant(tenancy.Bind(pool, t)), s); err != nil {
			return fmt.Errorf("shop %s: %w", s.id, err)
		}
	}

	var unbound db.TenantQueries
	if _, err := unbound.ListProducts(ctx); errors.Is(err, tenancy.ErrUnbound) {
		fmt.Fprintln(out, "\nwithout a tenant: ListProducts →", err)
	}
	return nil
}

// readSchema returns the shared and the tenant DDL of schema/.
func readSchema() (shared, tenant string, err error) {
	s, err := schemaFS.ReadFile("schema/001_shared.sql")
	if err != nil {
		return "", "", err
	}
	t, err := schemaFS.ReadFile("schema/002_tenant.sql")
	if err != nil {
		return "", "", err
	}
	return string(s), string(t), nil
}

// createTenantSchema creates a shop's schema and its tables in one
// transaction. The search_path is transaction-local, so nothing leaks to
// the pooled connection.
func createTenantSchema(ctx context.Context, pool *pgxpool.Pool, schemaName, ddl string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		ident := pgx.Identifier{schemaName}.Sanitize()
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+ident); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SELECT set_config('search_path', $1, true)", ident+", public"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, ddl)
		return err
	})
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
