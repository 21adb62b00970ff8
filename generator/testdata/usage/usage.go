// Package usage calls the golden packages the way an application does, so
// that building the golden module also proves the intended calls compile:
// a pool binds to a tenant through tenancy, a transaction keeps its tenant,
// and shared queries run on both query types.
package usage

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	commands "github.com/tenantc/tenantc/generator/testdata/commands/go"
	store "github.com/tenantc/tenantc/generator/testdata/interface/go"
	"github.com/tenantc/tenantc/tenancy"
)

// CloseInTx closes a ticket and reads a shared plan in one transaction of
// tenant t.
func CloseInTx(ctx context.Context, pool *pgxpool.Pool, t tenancy.Tenant, id int64) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	q := commands.NewTenant(tenancy.Bind(pool, t)).WithTx(tx)
	if err := q.CloseTicket(ctx, id); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Plans reads a shared plan with and without a tenant, through the
// generated interfaces.
func Plans(ctx context.Context, pool *pgxpool.Pool, t tenancy.Tenant) error {
	var shared store.Querier = store.New(pool)
	var tenant store.TenantQuerier = store.NewTenant(tenancy.Bind(pool, t))
	if _, err := shared.GetPlan(ctx, 1); err != nil {
		return err
	}
	_, err := tenant.GetPlan(ctx, 1)
	return err
}
