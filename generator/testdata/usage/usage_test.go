package usage

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"

	commands "github.com/tenantc/tenantc/generator/testdata/commands/go"
	store "github.com/tenantc/tenantc/generator/testdata/interface/go"
	sharedbatch "github.com/tenantc/tenantc/generator/testdata/shared_batch_copyfrom/go"
	"github.com/tenantc/tenantc/tenancy"
)

// A zero TenantQueries is unbound: every method, shared ones and batch
// callbacks included, reports tenancy.ErrUnbound instead of panicking or
// reaching a database.
func TestZeroTenantQueriesIsUnbound(t *testing.T) {
	ctx := context.Background()
	var c commands.TenantQueries
	check := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, tenancy.ErrUnbound) {
			t.Errorf("%s: got %v, want tenancy.ErrUnbound", name, err)
		}
	}
	_, err := c.GetTicket(ctx, 1)
	check("GetTicket", err)
	_, err = c.ListTickets(ctx, 1)
	check("ListTickets", err)
	check("CloseTicket", c.CloseTicket(ctx, 1))
	_, err = c.DeleteClosed(ctx)
	check("DeleteClosed", err)
	_, err = c.Reprioritize(ctx, commands.ReprioritizeParams{Priority: 1, ID: 1})
	check("Reprioritize", err)
	_, err = c.ImportTickets(ctx, []commands.ImportTicketsParams{{Title: "a"}})
	check("ImportTickets", err)
	calls := 0
	c.CloseTickets(ctx, []int64{1, 2}).Exec(func(_ int, err error) {
		calls++
		check("CloseTickets", err)
	})
	c.TicketsAbove(ctx, []int32{1}).Query(func(_ int, _ []commands.TicketsAboveRow, err error) {
		calls++
		check("TicketsAbove", err)
	})
	c.TicketTitle(ctx, []int64{1}).QueryRow(func(_ int, _ string, err error) {
		calls++
		check("TicketTitle", err)
	})
	if calls != 4 {
		t.Errorf("batch callbacks ran %d times, want 4", calls)
	}

	var s store.TenantQueries
	_, err = s.GetPlan(ctx, 1)
	check("shared GetPlan", err)

	var b sharedbatch.TenantQueries
	_, err = b.ImportPlans(ctx, []sharedbatch.ImportPlansParams{{Name: "a", Price: pgtype.Numeric{}}})
	check("shared ImportPlans", err)
	b.PlanNames(ctx, []pgtype.Numeric{{}}).Query(func(_ int, _ []string, err error) {
		check("shared PlanNames", err)
	})
	if !s.Tenant().IsZero() {
		t.Error("zero TenantQueries has a tenant")
	}
}
