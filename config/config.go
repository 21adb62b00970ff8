// Package config reads tenantc.yaml.
//
// Paths in the file are relative to the file's own directory, as in sqlc.
// Every unknown key and invalid value is reported as
// tenantc.yaml:LINE:COL: message, all of them in one run.
package config

import (
	"errors"
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/tenantc/tenantc/internal/sqlpos"
	"github.com/tenantc/tenantc/position"
)

// FileName is the default name of the config file.
const FileName = "tenantc.yaml"

// Config is a parsed tenantc.yaml.
type Config struct {
	// Path is the config file as given; Dir is its directory. Every other path
	// in the config is relative to Dir.
	Path string
	Dir  string
	// Sidecar is the sidecar file read with a sqlc config (see
	// [SidecarPath]), or "".
	Sidecar string

	Version      string
	Schema       []string // files or directories of annotated DDL, in order
	Queries      []string // files or directories of sqlc-syntax queries
	DefaultScope string   // "", "shared" or "tenant"
	SharedSchema string   // Postgres schema holding shared objects
	TenantSchema string   // pattern for a new tenant's schema, with {id}
	Registry     Registry
	Gen          Gen
	Migrations   Migrations
	// Servers are the PostgreSQL servers of the fleet, in file order, the
	// control server first; nil means one server, from --url or
	// DATABASE_URL.
	Servers []Server

	// Analysis settings of a sqlc package, under their sqlc names.
	StrictFunctionChecks bool  // strict_function_checks: unknown functions are errors
	StrictOrderBy        *bool // strict_order_by; nil is sqlc's default, true
	Rules                []string
	Analyzer             Analyzer
	Database             Database
}

// Analyzer is sqlc's analyzer setting.
type Analyzer struct {
	// Database is "true", "false" or "only", as in sqlc; "" is sqlc's
	// default, true: analyze with the database when one is configured.
	Database string
}

// Database is sqlc's database setting, for database-backed analysis.
type Database struct {
	URI     string
	Managed bool
}

// Registry names the shared table that lists the tenants.
type Registry struct {
	Table string // default "tenants", in SharedSchema
}

// Migrations configures tenantc migrate.
type Migrations struct {
	Dir    string // default "migrations"
	DevURL string // "" = a throwaway local PostgreSQL
}

// Gen configures the generated Go package. Every option of sqlc's Go
// generator (v1.31.1) is accepted under its sqlc name, with sqlc's meaning.
type Gen struct {
	Package string // default "db"
	Out     string // default "internal/db"

	EmitInterface             bool
	EmitJSONTags              bool
	JSONTagsIDUppercase       bool // camel json tags spell "id" as "ID"
	EmitDBTags                bool
	EmitPreparedQueries       bool // accepted; pgx prepares statements itself, as in sqlc
	EmitExactTableNames       bool
	EmitEmptySlices           bool
	EmitExportedQueries       bool // SQL constants are exported
	EmitResultStructPointers  bool
	EmitParamsStructPointers  bool
	EmitMethodsWithDBArgument bool // methods take the DBTX (tenancy.Conn) as an argument
	EmitPointersForNullTypes  bool
	// EmitPointersForNullEnumTypes is nil to follow EmitPointersForNullTypes.
	EmitPointersForNullEnumTypes *bool
	EmitEnumValidMethod          bool
	EmitAllEnumValues            bool
	EmitSQLAsComment             bool
	JSONTagsCaseStyle            string // "", "camel", "pascal", "snake" or "none"
	// SQLPackage is "pgx/v5" or ""; tenantc generates pgx/v5 code only.
	SQLPackage string
	SQLDriver  string // accepted for sqlc configs; pgx/v5 needs no driver name

	OutputBatchFileName    string // default "batch.go"
	OutputDBFileName       string // default "db.go"
	OutputModelsFileName   string // default "models.go"
	OutputQuerierFileName  string // default "querier.go"
	OutputCopyfromFileName string // default "copyfrom.go"
	OutputFilesSuffix      string // added to each query file's output name

	InflectionExcludeTableNames []string
	WrapErrors                  bool
	// QueryParameterLimit is how many parameters a method takes before they
	// are grouped in a Params struct; sqlc's default is 1.
	QueryParameterLimit int
	OmitSqlcVersion     bool // accepted; tenantc's header names no version
	OmitUnusedStructs   bool
	BuildTags           string
	// Initialisms are the name parts upper-cased whole; nil is sqlc's
	// default, ["id"].
	Initialisms []string
	Rename      map[string]string
	Overrides   []Override
}

// Override replaces the Go type, or adds struct tags, for a database type or
// for columns, with sqlc's matching rules.
type Override struct {
	Pos position.Pos // of the override in tenantc.yaml
	// DBType is matched against the type's name as sqlc spells it ("uuid",
	// "text", "pg_catalog.timestamptz", "myschema.mood").
	DBType string
	// Column is [[catalog.]schema.]table.column; each part may hold the
	// wildcards * and ?, e.g. "*.id", "*.*_id", "app.*.created_at".
	Column   string
	Nullable bool // db_type: applies to nullable columns only
	Unsigned bool // db_type: applies to unsigned columns only
	// GoType is the replacement type; a zero GoType (go_struct_tag only)
	// keeps the column's type.
	GoType GoType
	// StructTags are added to the field's tags (go_struct_tag).
	StructTags map[string]string
}

// GoType is a Go type named by an override.
type GoType struct {
	Import string // import path, "" for builtin and generated types
	// Package is the alias the import is written with (go_type.package, or
	// the name sqlc derives when the path's last element is no identifier).
	Package string
	// Qualifier is the package name written before Type: Package, or the
	// package's own name.
	Qualifier string
	Type      string // type name, without package
	Pointer   bool
	Slice     bool
}

// Error is a problem in tenantc.yaml; the CLI exits 2 on it.
type Error struct {
	List position.ErrorList
}

func (e *Error) Error() string { return e.List.Error() }
func (e *Error) Unwrap() error { return e.List }

// ErrNotFound is returned by [Load] when the config file does not exist.
// Test with errors.Is.
var ErrNotFound = errors.New("config: no tenantc.yaml found (run tenantc init)")

// Default returns the configuration used for keys that tenantc.yaml omits.
func Default() Config {
	return Config{
		Version:      "1",
		Schema:       []string{"schema"},
		Queries:      []string{"queries"},
		SharedSchema: "public",
		TenantSchema: "tenant_{id}",
		Registry:     Registry{Table: "tenants"},
		Gen:          Gen{Package: "db", Out: "internal/db", QueryParameterLimit: 1},
		Migrations:   Migrations{Dir: "migrations"},
	}
}

// Load reads and validates the config file at path. Every problem is
// reported in a *[Error]; a missing file is [ErrNotFound].
func Load(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, src)
}

// Parse validates src as the contents of the config file at path. Paths named
// in the config must exist relative to path's directory.
func Parse(path string, src []byte) (*Config, error) {
	c := Default()
	c.Path = path
	c.Dir = filepath.Dir(path)
	p := &parser{file: filepath.Base(path)}
	// yaml.v3 silently decodes UTF-16 (after a byte-order mark); tenantc.yaml
	// is UTF-8 like every other input, and a bad byte gets its position.
	if i := invalidUTF8(src); i >= 0 {
		p.errs.Add(sqlpos.NewFile(p.file, src).Pos(i), "file is not valid UTF-8")
		return nil, &Error{List: p.errs}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		p.errs.Add(position.Pos{File: p.file, Line: yamlErrLine(err), Col: 1}, "%s", yamlErrMsg(err))
		return nil, &Error{List: p.errs}
	}
	if len(doc.Content) > 0 {
		root := doc.Content[0]
		if isSQLC(root) {
			sidecar := p.readSidecar(path)
			if sidecar != nil {
				c.Sidecar = SidecarPath(path)
			}
			root = p.fromSQLC(root, sidecar)
		}
		p.config(root, &c)
	}
	p.validate(&c)
	if len(p.errs) > 0 {
		p.errs.Sort()
		return nil, &Error{List: p.errs}
	}
	return &c, nil
}

type parser struct {
	file string
	errs position.ErrorList
	// positions of keys, for validation errors reported after parsing
	keyPos map[string]position.Pos
}

func (p *parser) pos(n *yaml.Node) position.Pos {
	return position.Pos{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs.Add(p.pos(n), format, args...)
}

// mapping calls f for each key of a mapping node, reporting unknown keys.
func (p *parser) mapping(n *yaml.Node, what string, f func(key string, k, v *yaml.Node) bool) {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return
		}
		p.errorf(n, "%s must be a mapping", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.errorf(k, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		if !f(k.Value, k, v) {
			if what == "config" {
				p.errorf(k, "unknown key %q", k.Value)
			} else {
				p.errorf(k, "unknown key %q in %s", k.Value, what)
			}
		}
	}
}

func (p *parser) remember(key string, n *yaml.Node) {
	if p.keyPos == nil {
		p.keyPos = map[string]position.Pos{}
	}
	p.keyPos[key] = p.pos(n)
}

func (p *parser) config(n *yaml.Node, c *Config) {
	p.mapping(n, "config", func(key string, k, v *yaml.Node) bool {
		p.remember(key, v)
		switch key {
		case "version":
			c.Version = p.str(v, key)
		case "schema":
			c.Schema = p.strs(v, key)
		case "queries":
			c.Queries = p.strs(v, key)
		case "default_scope":
			c.DefaultScope = p.str(v, key)
		case "shared_schema":
			c.SharedSchema = p.str(v, key)
		case "tenant_schema":
			c.TenantSchema = p.str(v, key)
		case "registry":
			p.mapping(v, "registry", func(key string, k, v *yaml.Node) bool {
				p.remember("registry."+key, v)
				switch key {
				case "table":
					c.Registry.Table = p.str(v, "registry.table")
				default:
					return false
				}
				return true
			})
		case "migrations":
			p.mapping(v, "migrations", func(key string, k, v *yaml.Node) bool {
				p.remember("migrations."+key, v)
				switch key {
				case "dir":
					c.Migrations.Dir = p.str(v, "migrations.dir")
				case "dev_url":
					c.Migrations.DevURL = p.str(v, "migrations.dev_url")
				default:
					return false
				}
				return true
			})
		case "gen":
			p.gen(v, &c.Gen)
		case "servers":
			p.servers(v, c)
		case "strict_function_checks":
			c.StrictFunctionChecks = p.boolean(v, key)
		case "strict_order_by":
			b := p.boolean(v, key)
			c.StrictOrderBy = &b
		case "rules":
			c.Rules = p.list(v, key)
		case "analyzer":
			p.mapping(v, "analyzer", func(key string, k, v *yaml.Node) bool {
				if key != "database" {
					return false
				}
				if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" && v.Value != "only" {
					p.errorf(v, "analyzer.database must be true, false or \"only\"")
					return true
				}
				c.Analyzer.Database = v.Value
				return true
			})
		case "database":
			p.mapping(v, "database", func(key string, k, v *yaml.Node) bool {
				switch key {
				case "uri":
					c.Database.URI = p.str(v, "database.uri")
				case "managed":
					c.Database.Managed = p.boolean(v, "database.managed")
				default:
					return false
				}
				return true
			})
		default:
			return false
		}
		return true
	})
}

func (p *parser) gen(n *yaml.Node, g *Gen) {
	bools := map[string]*bool{
		"emit_interface":                &g.EmitInterface,
		"emit_json_tags":                &g.EmitJSONTags,
		"json_tags_id_uppercase":        &g.JSONTagsIDUppercase,
		"emit_db_tags":                  &g.EmitDBTags,
		"emit_prepared_queries":         &g.EmitPreparedQueries,
		"emit_exact_table_names":        &g.EmitExactTableNames,
		"emit_empty_slices":             &g.EmitEmptySlices,
		"emit_exported_queries":         &g.EmitExportedQueries,
		"emit_result_struct_pointers":   &g.EmitResultStructPointers,
		"emit_params_struct_pointers":   &g.EmitParamsStructPointers,
		"emit_methods_with_db_argument": &g.EmitMethodsWithDBArgument,
		"emit_pointers_for_null_types":  &g.EmitPointersForNullTypes,
		"emit_enum_valid_method":        &g.EmitEnumValidMethod,
		"emit_all_enum_values":          &g.EmitAllEnumValues,
		"emit_sql_as_comment":           &g.EmitSQLAsComment,
		"wrap_errors":                   &g.WrapErrors,
		"omit_sqlc_version":             &g.OmitSqlcVersion,
		"omit_unused_structs":           &g.OmitUnusedStructs,
	}
	strs := map[string]*string{
		"package":                   &g.Package,
		"out":                       &g.Out,
		"json_tags_case_style":      &g.JSONTagsCaseStyle,
		"sql_package":               &g.SQLPackage,
		"sql_driver":                &g.SQLDriver,
		"output_batch_file_name":    &g.OutputBatchFileName,
		"output_db_file_name":       &g.OutputDBFileName,
		"output_models_file_name":   &g.OutputModelsFileName,
		"output_querier_file_name":  &g.OutputQuerierFileName,
		"output_copyfrom_file_name": &g.OutputCopyfromFileName,
		"output_files_suffix":       &g.OutputFilesSuffix,
		"build_tags":                &g.BuildTags,
	}
	p.mapping(n, "gen", func(key string, k, v *yaml.Node) bool {
		p.remember("gen."+key, v)
		if b, ok := bools[key]; ok {
			*b = p.boolean(v, "gen."+key)
			return true
		}
		if sp, ok := strs[key]; ok {
			*sp = p.str(v, "gen."+key)
			return true
		}
		switch key {
		case "emit_pointers_for_null_enum_types":
			b := p.boolean(v, "gen."+key)
			g.EmitPointersForNullEnumTypes = &b
		case "inflection_exclude_table_names":
			g.InflectionExcludeTableNames = p.list(v, "gen."+key)
		case "initialisms":
			g.Initialisms = p.list(v, "gen."+key)
			if g.Initialisms == nil {
				g.Initialisms = []string{}
			}
		case "query_parameter_limit":
			i, err := strconv.Atoi(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil || i < 0 {
				p.errorf(v, "gen.query_parameter_limit must be a whole number of 0 or more")
			}
			g.QueryParameterLimit = i
		case "rename":
			g.Rename = map[string]string{}
			p.mapping(v, "gen.rename", func(key string, k, v *yaml.Node) bool {
				g.Rename[key] = p.str(v, "gen.rename."+key)
				return true
			})
		case "overrides":
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, "gen.overrides must be a list")
				return true
			}
			for _, o := range v.Content {
				p.override(o, g)
			}
		default:
			return false
		}
		return true
	})
}

// list reads a list of strings (a single string is a list of one).
func (p *parser) list(n *yaml.Node, key string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a list of strings", key)
		return nil
	}
	out := []string{}
	for _, e := range n.Content {
		out = append(out, p.str(e, key+" entry"))
	}
	return out
}

func (p *parser) override(n *yaml.Node, g *Gen) {
	o := Override{Pos: p.pos(n)}
	var goType, structTag *yaml.Node
	var dbType, postgresType string
	p.mapping(n, "override", func(key string, k, v *yaml.Node) bool {
		switch key {
		case "db_type":
			dbType = p.str(v, "db_type")
		case "postgres_type": // sqlc's deprecated spelling of db_type
			postgresType = p.str(v, "postgres_type")
		case "column":
			o.Column = p.str(v, "column")
		case "nullable":
			o.Nullable = o.Nullable || p.boolean(v, "nullable")
		case "null": // sqlc's deprecated spelling of nullable
			o.Nullable = o.Nullable || p.boolean(v, "null")
		case "unsigned":
			o.Unsigned = p.boolean(v, "unsigned")
		case "engine":
			if e := p.str(v, "engine"); e != "" && e != "postgresql" {
				p.errorf(v, "override engine %q: tenantc generates for postgresql only", e)
			}
		case "go_type":
			goType = v
			o.GoType = p.goType(v)
		case "go_struct_tag":
			structTag = v
			o.StructTags = p.structTag(v)
		default:
			return false
		}
		return true
	})
	if n.Kind != yaml.MappingNode {
		return
	}
	switch {
	case dbType != "" && postgresType != "":
		p.errorf(n, "override cannot have both db_type and postgres_type; use db_type")
	case postgresType != "":
		dbType = postgresType
	}
	o.DBType = dbType
	switch {
	case o.DBType != "" && o.Column != "":
		p.errorf(n, "override needs exactly one of db_type and column, not both")
	case o.DBType == "" && o.Column == "":
		p.errorf(n, "override needs one of db_type and column")
	case goType == nil && structTag == nil:
		p.errorf(n, "override needs go_type or go_struct_tag")
	}
	if o.Column != "" {
		parts := strings.Split(o.Column, ".")
		if len(parts) < 2 || len(parts) > 4 {
			p.errorf(n, "override column %q must be [catalog.][schema.]table.column", o.Column)
		}
		for _, part := range parts {
			if err := checkPattern(part); err != "" {
				p.errorf(n, "override column %q: %s", o.Column, err)
			}
		}
	}
	g.Overrides = append(g.Overrides, o)
}

// checkPattern returns why part of an override's column is not a valid
// sqlc pattern (* any run, ? one character, \ escapes them), or "".
func checkPattern(part string) string {
	for i := 0; i < len(part); i++ {
		if part[i] != '\\' {
			continue
		}
		if i+1 == len(part) {
			return "unterminated escape at end of pattern"
		}
		if c := part[i+1]; c != '*' && c != '?' && c != '\\' {
			return fmt.Sprintf("invalid escaped character %q", c)
		}
		i++
	}
	return ""
}

// structTag parses a go_struct_tag in raw Go struct tag form,
// `validate:"required" x:"y,z"`, into key → value.
func (p *parser) structTag(n *yaml.Node) map[string]string {
	s := p.str(n, "go_struct_tag")
	tags := map[string]string{}
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		key, rest, ok := strings.Cut(s, ":")
		if !ok || key == "" || strings.ContainsAny(key, " \t\"`") || !strings.HasPrefix(rest, "\"") {
			p.errorf(n, "go_struct_tag %q is not a Go struct tag (key:\"value\" ...)", n.Value)
			return nil
		}
		end := 1
		for end < len(rest) && rest[end] != '"' {
			if rest[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(rest) {
			p.errorf(n, "go_struct_tag %q is not a Go struct tag (key:\"value\" ...)", n.Value)
			return nil
		}
		v, err := strconv.Unquote(rest[:end+1])
		if err != nil {
			p.errorf(n, "go_struct_tag %q is not a Go struct tag (key:\"value\" ...)", n.Value)
			return nil
		}
		tags[key] = v
		s = rest[end+1:]
	}
	return tags
}

var goIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// goType accepts sqlc's two forms: "github.com/x/y.Type" (or a Go basic
// type such as "string"), or a mapping {import, package, type, pointer,
// slice}, and derives the package name the generated code writes as sqlc
// does.
func (p *parser) goType(n *yaml.Node) GoType {
	var t GoType
	if n.Kind == yaml.ScalarNode {
		s := n.Value
		if strings.HasPrefix(s, "*") {
			t.Pointer, s = true, s[1:]
		}
		if strings.HasPrefix(s, "[]") {
			t.Slice, s = true, s[2:]
		}
		dot, slash := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, '/')
		switch {
		case dot < 0 && slash < 0:
			if !basicTypes[s] {
				p.errorf(n, "go_type %q is not a Go basic type such as string; name a type in a package as path/to/pkg.Type", n.Value)
				return t
			}
			t.Type = s
		case dot < slash:
			p.errorf(n, "go_type %q must be package.Type, e.g. github.com/segmentio/ksuid.KSUID", n.Value)
			return t
		default:
			t.Import, t.Type = s[:dot], s[dot+1:]
			// sqlc writes the last path element, less a "go-" prefix or "-go"
			// suffix, as the package name.
			t.Qualifier = strings.TrimSuffix(strings.TrimPrefix(s[slash+1:dot], "go-"), "-go")
		}
	} else {
		p.mapping(n, "go_type", func(key string, k, v *yaml.Node) bool {
			switch key {
			case "import":
				t.Import = p.str(v, "go_type.import")
			case "package":
				t.Package = p.str(v, "go_type.package")
			case "type":
				t.Type = p.str(v, "go_type.type")
			case "pointer":
				t.Pointer = p.boolean(v, "go_type.pointer")
			case "slice":
				t.Slice = p.boolean(v, "go_type.slice")
			default:
				return false
			}
			return true
		})
		switch {
		case t.Import == "" && t.Package != "":
			p.errorf(n, "go_type.package %q needs go_type.import", t.Package)
		case t.Package != "":
			t.Qualifier = t.Package
		case t.Import != "":
			var alias bool
			t.Qualifier, alias = packageID(t.Import)
			if alias {
				t.Package = t.Qualifier
			}
		}
		if t.Package != "" && !goIdent.MatchString(t.Package) {
			p.errorf(n, "go_type.package %q is not a Go package name", t.Package)
		}
	}
	if !goIdent.MatchString(t.Type) {
		p.errorf(n, "go_type %q is not a Go type name", t.Type)
	}
	return t
}

// basicTypes are the Go types sqlc accepts as a go_type without a package.
var basicTypes = map[string]bool{
	"bool": true, "int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "uintptr": true,
	"float32": true, "float64": true, "complex64": true, "complex128": true,
	"string": true, "unsafe.Pointer": true, "byte": true, "rune": true,
}

var (
	versionElem  = regexp.MustCompile(`^v[0-9]+$`)
	notIdentChar = regexp.MustCompile(`[^a-zA-Z0-9_]`)
)

// packageID is the package name sqlc gives an import path, and whether the
// import needs it as an alias: github.com/x/null/v8 → null (alias),
// gopkg.in/guregu/null.v4 → null_v4 (alias), net/url → url.
func packageID(path string) (string, bool) {
	parts := strings.Split(path, "/")
	name := parts[len(parts)-1]
	if versionElem.MatchString(name) && len(parts) >= 2 {
		return notIdentChar.ReplaceAllString(strings.ToLower(parts[len(parts)-2]), "_"), true
	}
	if !notIdentChar.MatchString(name) {
		return name, false
	}
	return notIdentChar.ReplaceAllString(strings.ToLower(name), "_"), true
}

func (p *parser) str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s must be a string", key)
		return ""
	}
	return n.Value
}

func (p *parser) strs(n *yaml.Node, key string) []string {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return []string{n.Value}
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "%s must be a path or a list of paths", key)
		return nil
	}
	var out []string
	for _, e := range n.Content {
		if s := p.str(e, key+" entry"); s != "" {
			out = append(out, s)
			// Each entry's own position, for errors about that path.
			p.remember(key+"\x00"+s, e)
		}
	}
	return out
}

func (p *parser) boolean(n *yaml.Node, key string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.errorf(n, "%s must be true or false", key)
		return false
	}
	return n.Value == "true"
}

// Identifier rules shared with the tenancy runtime: see DESIGN.md.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func (p *parser) at(key string) position.Pos {
	if pos, ok := p.keyPos[key]; ok {
		return pos
	}
	return position.Pos{File: p.file, Line: 1, Col: 1}
}

func (p *parser) validate(c *Config) {
	if c.Version != "1" {
		p.errs.Add(p.at("version"), "unsupported version %q (want \"1\")", c.Version)
	}
	if !slices.Contains([]string{"", "shared", "tenant"}, c.DefaultScope) {
		p.errs.Add(p.at("default_scope"), "default_scope must be \"\", \"shared\" or \"tenant\", not %q", c.DefaultScope)
	}
	if err := checkSchemaName(c.SharedSchema); err != "" {
		p.errs.Add(p.at("shared_schema"), "shared_schema %q %s", c.SharedSchema, err)
	}
	if strings.Count(c.TenantSchema, "{id}") != 1 {
		p.errs.Add(p.at("tenant_schema"), "tenant_schema %q must contain {id} exactly once", c.TenantSchema)
	} else if err := checkSchemaName(strings.Replace(c.TenantSchema, "{id}", "a", 1)); err != "" {
		p.errs.Add(p.at("tenant_schema"), "tenant_schema %q %s", c.TenantSchema, err)
	} else if strings.Replace(c.TenantSchema, "{id}", "", 1) == c.SharedSchema {
		p.errs.Add(p.at("tenant_schema"), "tenant_schema %q can name the shared schema %q", c.TenantSchema, c.SharedSchema)
	}
	if !schemaName.MatchString(c.Registry.Table) || len(c.Registry.Table) > 63 {
		p.errs.Add(p.at("registry.table"), "registry.table %q must match [a-z_][a-z0-9_]* and be at most 63 bytes", c.Registry.Table)
	}
	if !goIdent.MatchString(c.Gen.Package) {
		p.errs.Add(p.at("gen.package"), "gen.package %q is not a Go package name", c.Gen.Package)
	} else if token.IsKeyword(c.Gen.Package) {
		p.errs.Add(p.at("gen.package"), "gen.package %q is a Go keyword, not a package name", c.Gen.Package)
	}
	if c.Gen.Out == "" {
		p.errs.Add(p.at("gen.out"), "gen.out must not be empty")
	}
	if sp := c.Gen.SQLPackage; sp != "" && sp != "pgx/v5" {
		p.errs.Add(p.at("gen.sql_package"), "gen.sql_package %q is not supported: tenantc generates pgx/v5 code only (set pgx/v5 or leave it out)", sp)
	}
	if d := c.Gen.SQLDriver; d != "" && d != "github.com/jackc/pgx/v5" {
		p.errs.Add(p.at("gen.sql_driver"), "gen.sql_driver %q is not supported: tenantc generates pgx/v5 code only (github.com/jackc/pgx/v5)", d)
	}
	if c.Gen.EmitMethodsWithDBArgument && c.Gen.EmitPreparedQueries {
		p.errs.Add(p.at("gen.emit_methods_with_db_argument"), "gen.emit_methods_with_db_argument and gen.emit_prepared_queries are mutually exclusive, as in sqlc")
	}
	if !slices.Contains([]string{"", "camel", "pascal", "snake", "none"}, c.Gen.JSONTagsCaseStyle) {
		p.errs.Add(p.at("gen.json_tags_case_style"), "gen.json_tags_case_style must be camel, pascal, snake or none, not %q", c.Gen.JSONTagsCaseStyle)
	}
	if len(c.Schema) == 0 {
		p.errs.Add(p.at("schema"), "schema must name at least one file or directory")
	}
	if len(c.Queries) == 0 {
		p.errs.Add(p.at("queries"), "queries must name at least one file or directory")
	}
	for _, list := range []struct {
		key   string
		paths []string
	}{{"schema", c.Schema}, {"queries", c.Queries}} {
		for _, path := range list.paths {
			if _, err := os.Stat(c.Abs(path)); err != nil {
				pos, ok := p.keyPos[list.key+"\x00"+path]
				if !ok {
					pos = p.at(list.key)
				}
				p.errs.Add(pos, "%s path %q does not exist", list.key, path)
			}
		}
	}
}

// checkSchemaName returns why s is not a valid schema name, or "".
func checkSchemaName(s string) string {
	switch {
	case !schemaName.MatchString(s):
		return "must match [a-z_][a-z0-9_]*"
	case len(s) > 63:
		return "is longer than 63 bytes"
	case strings.HasPrefix(s, "pg_"):
		return "must not start with pg_"
	}
	return ""
}

// Abs returns path (relative to the config's directory) as a path usable
// from the current directory.
func (c *Config) Abs(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(c.Dir, path)
}

// Rel returns an absolute or working-directory path relative to the config's
// directory, for messages. Paths outside it are returned unchanged.
func (c *Config) Rel(path string) string {
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return path
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return filepath.ToSlash(rel)
}

// TenantSchemaFor returns the schema name a new tenant with id gets.
func (c *Config) TenantSchemaFor(id string) string {
	return strings.Replace(c.TenantSchema, "{id}", id, 1)
}

// invalidUTF8 returns the offset of the first byte of src that is not valid
// UTF-8, or -1.
func invalidUTF8(src []byte) int {
	for i := 0; i < len(src); {
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// yamlErrLine extracts the line number from a yaml.v3 syntax error.
func yamlErrLine(err error) int {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if _, rest, ok := strings.Cut(msg, "line "); ok {
		n := 0
		for _, r := range rest {
			if r < '0' || r > '9' {
				break
			}
			n = n*10 + int(r-'0')
		}
		if n > 0 {
			return n
		}
	}
	return 1
}

func yamlErrMsg(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "line ") {
		return rest
	}
	return msg
}

// SchemaFiles returns the schema files in config order; a directory
// contributes its *.sql files in lexical order, and a file named twice is
// read once. Paths are usable from the current directory.
func (c *Config) SchemaFiles() ([]string, error) { return c.expand(c.Schema) }

// QueryFiles returns the query files, like [Config.SchemaFiles].
func (c *Config) QueryFiles() ([]string, error) { return c.expand(c.Queries) }

func (c *Config) expand(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(path string) {
		if !seen[path] {
			seen[path] = true
			out = append(out, path)
		}
	}
	for _, p := range paths {
		abs := c.Abs(p)
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if !fi.IsDir() {
			add(abs)
			continue
		}
		ents, err := os.ReadDir(abs)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		for _, e := range ents { // ReadDir sorts by name
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
				add(filepath.Join(abs, e.Name()))
			}
		}
	}
	return out, nil
}
