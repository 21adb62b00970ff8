package migrate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// WithRegistryValues gives [CreateTenant] and [AdoptTenant] values for the
// registry row's own columns, when the annotated schema declares the
// registry table with more columns than id and schema_name — such as a
// shops table with a NOT NULL name and owner — so that the row is complete
// when it is inserted, in the same transaction as the schema:
//
//	migrate.CreateTenant(ctx, pool, cfg, "acme",
//		migrate.WithRegistryValues(map[string]any{"name": "ACME", "owner_id": 42}))
//
// Keys are column names, quoted as identifiers; id and schema_name are
// tenantc's and cannot be given.
func WithRegistryValues(values map[string]any) RegistryOption {
	return func(o *options) { o.registryValues = values }
}

// WithRegistryText is [WithRegistryValues] for values written as text,
// such as `tenantc tenant create --set name=ACME --set owner_id=42`: each
// is converted to its column's type by PostgreSQL, with the type's input
// function (json_populate_record over the registry's row type), so "42"
// fills an integer column and "2026-01-01" a date. A column given in both
// options is an error.
func WithRegistryText(values map[string]string) RegistryOption {
	return func(o *options) { o.registryText = values }
}

// registryInsert returns the statement inserting a registry row for id
// and schemaName with the columns of [WithRegistryValues], in sorted
// column order so the text is the same on every call, and its arguments.
func (p *provisioner) registryInsert(id, schemaName string) (string, []any, error) {
	cols := []string{"id", "schema_name"}
	args := []any{id, schemaName}
	names := make([]string, 0, len(p.o.registryValues))
	for name := range p.o.registryValues {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if name == "id" || name == "schema_name" || name == "" {
			return "", nil, fmt.Errorf("registry value for column %q: not allowed (tenantc sets id and schema_name)", name)
		}
		cols = append(cols, name)
		args = append(args, p.o.registryValues[name])
	}
	quoted := make([]string, len(cols))
	params := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
		params[i] = "$" + strconv.Itoa(i+1)
	}
	if len(p.o.registryText) == 0 {
		sql := `INSERT INTO ` + p.reg + ` (` + strings.Join(quoted, ", ") + `) VALUES (` + strings.Join(params, ", ") + `) RETURNING created_at`
		return sql, args, nil
	}
	texts := make([]string, 0, len(p.o.registryText))
	for name := range p.o.registryText {
		texts = append(texts, name)
	}
	slices.Sort(texts)
	for _, name := range texts {
		if name == "id" || name == "schema_name" || name == "" {
			return "", nil, fmt.Errorf("registry value for column %q: not allowed (tenantc sets id and schema_name)", name)
		}
		if _, ok := p.o.registryValues[name]; ok {
			return "", nil, fmt.Errorf("registry value for column %q given twice", name)
		}
		quoted = append(quoted, pgx.Identifier{name}.Sanitize())
		params = append(params, "r."+pgx.Identifier{name}.Sanitize())
	}
	// The JSON object's strings go through each column type's input
	// function; json.Marshal of a map of strings cannot fail.
	obj, _ := json.Marshal(p.o.registryText)
	args = append(args, string(obj))
	sql := `INSERT INTO ` + p.reg + ` (` + strings.Join(quoted, ", ") + `) SELECT ` + strings.Join(params, ", ") +
		` FROM json_populate_record(NULL::` + p.reg + `, $` + strconv.Itoa(len(args)) + `::json) AS r RETURNING created_at`
	return sql, args, nil
}
