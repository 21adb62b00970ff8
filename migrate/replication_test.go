package migrate

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestRowOnly(t *testing.T) {
	tests := []struct {
		stmt string
		want bool
	}{
		{`INSERT INTO "app"."plans" VALUES (1);`, true},
		{"-- seed\n/* plans */ update app.plans SET n = 1;", true},
		{"DELETE FROM app.plans;", true},
		{"WITH x AS (SELECT 1) INSERT INTO app.plans SELECT * FROM x;", true},
		{"merge into app.plans p using x on true when matched then do nothing;", true},
		{"TRUNCATE app.plans;", true},
		{"COPY app.plans FROM stdin;", true},
		{`CREATE TABLE "app"."plans" ("id" bigint);`, false},
		{"-- INSERT in a comment\nALTER TABLE app.plans ADD COLUMN n int;", false},
		{"SELECT setval('app.plans_id_seq', 10);", false},
		{"-- only a comment", false},
	}
	for _, tt := range tests {
		if got := rowOnly(tt.stmt); got != tt.want {
			t.Errorf("rowOnly(%q) = %v, want %v", tt.stmt, got, tt.want)
		}
	}
}

func TestServersReplicateSharedTables(t *testing.T) {
	fleet := sharedTestServers(t, 2)
	p := newProject(t, "")
	p.migration(SharedDir, "20260101000001_init.sql", sharedV1) // seeds plans (1)
	p.migration(TenantDir, "20260101000001_init.sql", tenantV1)
	ctx := t.Context()
	control, replica := fleet[0].DB, fleet[1].DB
	if _, err := fleet.Apply(ctx, p.cfg); err != nil {
		t.Fatal(err)
	}
	plans := func(db DB) []int64 {
		t.Helper()
		rows, err := db.Query(ctx, "SELECT id FROM app.plans ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	// The seed ran on the control server only; the replica has its copy.
	if got := plans(replica); len(got) != 1 || got[0] != 1 {
		t.Fatalf("replica plans = %v after apply, want [1] copied from the control server", got)
	}

	// A shared write on the control server reaches the replica.
	if _, err := control.Exec(ctx, "INSERT INTO app.plans VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for got := plans(replica); len(got) != 2; got = plans(replica) {
		if time.Now().After(deadline) {
			t.Fatalf("replica plans = %v 30s after the insert on the control server", got)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A shared write on the replica is refused, naming the control server.
	_, err := replica.Exec(ctx, "INSERT INTO app.plans VALUES (3)")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" || !strings.Contains(pgErr.Message, "write it on the control server s0") {
		t.Errorf("insert into a shared table on the replica: %v, want SQLSTATE 25006 naming the control server", err)
	}

	// A tenant on the replica references the replicated shared rows.
	info, err := fleet.CreateTenant(ctx, p.cfg, "acme", WithServer("s1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := replica.Exec(ctx, "INSERT INTO "+info.Schema+".tickets (id, plan_id, title) VALUES (1, 2, 'x')"); err != nil {
		t.Errorf("tenant row referencing a replicated plan on the replica: %v", err)
	}

	// A new shared table, seeded, is created on both and copied once.
	p.migration(SharedDir, "20260101000002_regions.sql", `CREATE TABLE "app"."regions" ("code" text NOT NULL, PRIMARY KEY ("code"));
INSERT INTO "app"."regions" VALUES ('eu');
`)
	if _, err := fleet.Apply(ctx, p.cfg); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := replica.QueryRow(ctx, "SELECT count(*) FROM app.regions WHERE code = 'eu'").Scan(&n); err != nil || n != 1 {
		t.Errorf("replica regions: %d rows of eu, %v; want 1, copied from the control server", n, err)
	}
	// The registry is shared data too: the replica has the new row.
	deadline = time.Now().Add(30 * time.Second)
	for {
		var server string
		err := replica.QueryRow(ctx, "SELECT server FROM app.tenants WHERE id = 'acme'").Scan(&server)
		if err == nil && server == "s1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica registry row of acme: %q, %v", server, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
