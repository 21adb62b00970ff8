package usage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	commands "github.com/tenantc/tenantc/generator/testdata/commands/go"
	refs "github.com/tenantc/tenantc/generator/testdata/references/go"
	"github.com/tenantc/tenantc/internal/pgtest"
	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// setup creates a fresh database: the shared files run in public, the
// tenant files once in each tenant's schema. Afterwards no session has a
// tenant schema on its search_path, so a tenant reference the generated SQL
// failed to qualify is an error, not a silent read of another schema.
func setup(t *testing.T, shared, tenant []string, mode pgx.QueryExecMode) (*pgtest.DB, []tenancy.Tenant) {
	t.Helper()
	ctx := context.Background()
	db := pgtest.New(t)
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	run := func(files []string) {
		for _, f := range files {
			sql, err := os.ReadFile(filepath.Join("..", f))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, string(sql)); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
	}
	run(shared)
	var tenants []tenancy.Tenant
	for _, id := range []string{"a", "b"} {
		schema := "tenant_" + id
		if _, err := conn.Exec(ctx, fmt.Sprintf("CREATE SCHEMA %s; SET search_path = %s, public", schema, schema)); err != nil {
			t.Fatal(err)
		}
		run(tenant)
		if _, err := conn.Exec(ctx, "RESET search_path"); err != nil {
			t.Fatal(err)
		}
		tenants = append(tenants, tenanttest.NewTenant(t, id, schema))
	}
	db.Pool = pgtest.Connect(t, db.URL, pgtest.WithExecMode(mode))
	return db, tenants
}

// TestCommands runs every command of a golden package against two tenant
// schemas, under every exec mode (the simple protocol is what PgBouncer in
// transaction mode needs), and checks that each tenant sees only its rows.
func TestCommands(t *testing.T) {
	for _, mode := range pgtest.ExecModes() {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := context.Background()
			db, ts := setup(t, nil, []string{"commands/schema.sql"}, mode)
			a := commands.NewTenant(tenancy.Bind(db.Pool, ts[0]))
			b := commands.NewTenant(tenancy.Bind(db.Pool, ts[1]))

			n, err := a.ImportTickets(ctx, []commands.ImportTicketsParams{{Title: "a1", Priority: 1}, {Title: "a2", Priority: 5}})
			if err != nil || n != 2 {
				t.Fatalf("ImportTickets = %d, %v", n, err)
			}
			var created []int64
			b.CreateTickets(ctx, []commands.CreateTicketsParams{{Title: "b1", Priority: 3}}).QueryRow(func(_ int, tk commands.Ticket, err error) {
				if err != nil {
					t.Errorf("CreateTickets: %v", err)
				}
				created = append(created, tk.ID)
			})
			if len(created) != 1 {
				t.Fatalf("CreateTickets returned %d rows", len(created))
			}

			listA, err := a.ListTickets(ctx, 0)
			if err != nil || len(listA) != 2 {
				t.Fatalf("tenant a ListTickets = %v, %v; want 2 tickets", listA, err)
			}
			listB, err := b.ListTickets(ctx, 0)
			if err != nil || len(listB) != 1 || listB[0].Title != "b1" {
				t.Fatalf("tenant b ListTickets = %v, %v; want [b1]", listB, err)
			}
			got, err := a.GetTicket(ctx, listA[1].ID)
			if err != nil || got.Title != "a2" {
				t.Fatalf("GetTicket = %v, %v", got, err)
			}
			if title, err := a.EchoTitle(ctx, "a1"); err != nil || title != "a1" {
				t.Fatalf("EchoTitle = %q, %v", title, err)
			}
			tag, err := a.Reprioritize(ctx, commands.ReprioritizeParams{Priority: 9, ID: listA[0].ID})
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("Reprioritize = %v, %v", tag, err)
			}
			var above []commands.TicketsAboveRow
			a.TicketsAbove(ctx, []int32{4}).Query(func(_ int, rows []commands.TicketsAboveRow, err error) {
				if err != nil {
					t.Errorf("TicketsAbove: %v", err)
				}
				above = append(above, rows...)
			})
			if len(above) != 2 {
				t.Errorf("TicketsAbove(4) = %v, want both tickets of a", above)
			}
			a.TicketTitle(ctx, []int64{listA[0].ID}).QueryRow(func(_ int, title string, err error) {
				if err != nil || title != "a1" {
					t.Errorf("TicketTitle = %q, %v", title, err)
				}
			})
			if err := a.CloseTicket(ctx, listA[0].ID); err != nil {
				t.Fatal(err)
			}
			a.CloseTickets(ctx, []int64{listA[1].ID}).Exec(func(_ int, err error) {
				if err != nil {
					t.Errorf("CloseTickets: %v", err)
				}
			})

			// Inside a transaction the tenant stays; a rollback undoes.
			tx, err := db.Pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.WithTx(tx).Tenant(); got != ts[0] {
				t.Errorf("WithTx changed the tenant to %v", got)
			}
			if n, err := a.WithTx(tx).DeleteClosed(ctx); err != nil || n != 2 {
				t.Errorf("DeleteClosed in tx = %d, %v; want 2", n, err)
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if n, err := b.DeleteClosed(ctx); err != nil || n != 0 {
				t.Errorf("tenant b DeleteClosed = %d, %v; want 0 (a's tickets are not b's)", n, err)
			}
			if n, err := a.DeleteClosed(ctx); err != nil || n != 2 {
				t.Errorf("tenant a DeleteClosed = %d, %v; want 2", n, err)
			}
		})
	}
}

// TestReferences runs the queries whose tenant references sit in joins with
// shared tables, CTEs, subqueries, UPDATE … FROM, DELETE … USING,
// INSERT … SELECT, casts, nextval and a function call.
func TestReferences(t *testing.T) {
	ctx := context.Background()
	db, ts := setup(t, []string{"references/shared.sql"}, []string{"references/tenant.sql"}, pgx.QueryExecModeCacheStatement)
	if _, err := db.Pool.Exec(ctx, `INSERT INTO plans (name, max_seats) VALUES ('free', 1), ('pro', 10)`); err != nil {
		t.Fatal(err)
	}
	for i, tn := range ts {
		conn := tenancy.Bind(db.Pool, tn)
		// Seed through the tenant's schema, as the app would.
		for j := 0; j <= i; j++ {
			if _, err := conn.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.members (plan_id, email, role) VALUES (1, '%s%d@x', 'owner')`,
				pgx.Identifier{tn.Schema()}.Sanitize(), tn.ID(), j)); err != nil {
				t.Fatal(err)
			}
		}
	}
	a := refs.NewTenant(tenancy.Bind(db.Pool, ts[0]))
	b := refs.NewTenant(tenancy.Bind(db.Pool, ts[1]))

	if n, err := b.CountMembers(ctx); err != nil || n != 2 {
		t.Errorf("tenant b CountMembers = %v, %v; want 2", n, err)
	}
	withPlan, err := a.MembersWithPlan(ctx)
	if err != nil || len(withPlan) != 1 || withPlan[0].PlanName != "free" {
		t.Errorf("MembersWithPlan = %v, %v", withPlan, err)
	}
	num1, err := a.NextInvoiceNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	num2, err := b.NextInvoiceNumber(ctx)
	if err != nil || num1 != 1 || num2 != 1 {
		t.Errorf("NextInvoiceNumber = %d, %d (%v); want 1 for each tenant's own sequence", num1, num2, err)
	}
	if n, err := b.MovePlanMembers(ctx, refs.MovePlanMembersParams{Name: "pro", PlanID: 1}); err != nil || n != 2 {
		t.Errorf("MovePlanMembers = %d, %v; want 2", n, err)
	}
	if err := b.ArchiveMembers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteArchived(ctx); err != nil {
		t.Fatal(err)
	}
	owners, err := a.MembersByRole(ctx, refs.MemberRoleOwner)
	if err != nil || len(owners) != 1 {
		t.Errorf("tenant a MembersByRole = %v, %v; want 1 (b's moves and deletes stay in b)", owners, err)
	}
	if left, err := b.MembersByRole(ctx, refs.MemberRoleOwner); err != nil || len(left) != 0 {
		t.Errorf("tenant b MembersByRole = %v, %v; want none after archiving", left, err)
	}
	if _, err := a.BigSpenders(ctx); err != nil {
		t.Errorf("BigSpenders: %v", err)
	}
	if _, err := a.MembersWithInvoices(ctx); err != nil {
		t.Errorf("MembersWithInvoices: %v", err)
	}
	seats, err := a.PlanSeats(ctx, 2)
	if err != nil || seats != 10 {
		t.Errorf("shared PlanSeats through a tenant = %d, %v", seats, err)
	}
	var zero refs.TenantQueries
	if _, err := zero.PlanSeats(ctx, 2); !errors.Is(err, tenancy.ErrUnbound) {
		t.Errorf("unbound PlanSeats = %v, want ErrUnbound", err)
	}
}
