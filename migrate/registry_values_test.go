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
		wantErr  bool
	}{
		{"none", nil, `INSERT INTO "public"."shops" ("id", "schema_name") VALUES ($1, $2) RETURNING created_at`, []any{"acme", "shop_acme"}, false},
		{"sorted and quoted", map[string]any{"owner_id": 7, "name": "ACME", "Odd Name": true},
			`INSERT INTO "public"."shops" ("id", "schema_name", "Odd Name", "name", "owner_id") VALUES ($1, $2, $3, $4, $5) RETURNING created_at`,
			[]any{"acme", "shop_acme", true, "ACME", 7}, false},
		{"id is tenantc's", map[string]any{"id": "x"}, "", nil, true},
		{"schema_name is tenantc's", map[string]any{"schema_name": "x"}, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &provisioner{o: newOptions([]Option{WithRegistryValues(tt.values)}), reg: `"public"."shops"`}
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
