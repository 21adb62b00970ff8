package migrate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRegistryInsert(t *testing.T) {
	tests := []struct {
		name     string
		values   map[string]any
		wantSQL  string
		wantArgs []any
		text     map[string]string
		wantErr  bool
	}{
		{name: "none", wantSQL: `INSERT INTO "public"."shops" ("id", "schema_name") VALUES ($1, $2) RETURNING created_at`, wantArgs: []any{"acme", "shop_acme"}},
		{name: "sorted and quoted", values: map[string]any{"owner_id": 7, "name": "ACME", "Odd Name": true},
			wantSQL:  `INSERT INTO "public"."shops" ("id", "schema_name", "Odd Name", "name", "owner_id") VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
			wantArgs: []any{"acme", "shop_acme", true, "ACME", 7}},
		{name: "id is tenantc's", values: map[string]any{"id": "x"}, wantErr: true},
		{name: "schema_name is tenantc's", values: map[string]any{"schema_name": "x"}, wantErr: true},
		{name: "text typed by the column", values: map[string]any{"name": "ACME"}, text: map[string]string{"owner_id": "42", "Since": "2026-01-01"},
			wantSQL:  `INSERT INTO "public"."shops" ("id", "schema_name", "name", "Since", "owner_id") SELECT $1, $2, $3, r."Since", r."owner_id" FROM json_populate_record(NULL::"public"."shops", $4::json) AS r RETURNING created_at`,
			wantArgs: []any{"acme", "shop_acme", "ACME", `{"Since":"2026-01-01","owner_id":"42"}`}},
		{name: "text and value for one column", values: map[string]any{"name": "A"}, text: map[string]string{"name": "B"}, wantErr: true},
		{name: "text for id", text: map[string]string{"id": "x"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &provisioner{o: newOptions([]CreateOption{WithRegistryValues(tt.values), WithRegistryText(tt.text)}), reg: `"public"."shops"`}
			sql, args, err := p.registryInsert("acme", "shop_acme")
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if sql != tt.wantSQL {
				t.Errorf("sql = %s\nwant  %s", sql, tt.wantSQL)
			}
			if diff := cmp.Diff(tt.wantArgs, args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}
