// Package config reads tenantc.yaml.
//
// Paths in the file are relative to the file's own directory, as in sqlc.
// Every unknown key and invalid value is reported as
// tenantc.yaml:LINE:COL: message, all of them in one run.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/tenantc/tenantc/internal/sqlpos"
)

// FileName is the default name of the config file.
const FileName = "tenantc.yaml"

// Config is a parsed tenantc.yaml.
type Config struct {
	// Path is the config file as given; Dir is its directory. Every other path
	// in the config is relative to Dir.
	Path string
	Dir  string

	Version      string
	Schema       []string // files or directories of annotated DDL, in order
	Queries      []string // files or directories of sqlc-syntax queries
	DefaultScope string   // "", "shared" or "tenant"
	SharedSchema string   // Postgres schema holding shared objects
	TenantSchema string   // pattern for a new tenant's schema, with {id}
	Registry     Registry
	Gen          Gen
	Migrations   Migrations
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

// Gen configures the generated Go package. Option names follow sqlc's
// gen.go options.
type Gen struct {
	Package string // default "db"
	Out     string // default "internal/db"

	EmitJSONTags             bool
	JSONTagsCaseStyle        string // "", "camel", "pascal", "snake" or "none"
	EmitDBTags               bool
	EmitPointersForNullTypes bool
	EmitEmptySlices          bool
	EmitInterface            bool
	EmitExactTableNames      bool
	EmitEnumValidMethod      bool
	EmitAllEnumValues        bool
	// QueryParameterLimit is how many parameters a method takes before they
	// are grouped in a Params struct; sqlc's default is 1.
	QueryParameterLimit int
	Rename              map[string]string
	Overrides           []Override
}

// Override replaces the Go type of a database type or of one column.
type Override struct {
	Pos      sqlpos.Pos // of the override in tenantc.yaml
	DBType   string     // e.g. "uuid", "pg_catalog.timestamptz"
	Column   string     // e.g. "products.price" or "public.products.price"
	Nullable bool       // applies to nullable columns of DBType
	GoType   GoType
}

// GoType is a Go type named by an override.
type GoType struct {
	Import  string // import path, "" for builtin types
	Package string // package name when it differs from the path's last element
	Type    string // type name
	Pointer bool
	Slice   bool
}

// Error is a problem in tenantc.yaml; the CLI exits 2 on it.
type Error struct {
	List sqlpos.ErrorList
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
		p.errs.Add(sqlpos.Pos{File: p.file, Line: yamlErrLine(err), Col: 1}, "%s", yamlErrMsg(err))
		return nil, &Error{List: p.errs}
	}
	if len(doc.Content) > 0 {
		p.config(doc.Content[0], &c)
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
	errs sqlpos.ErrorList
	// positions of keys, for validation errors reported after parsing
	keyPos map[string]sqlpos.Pos
}

func (p *parser) pos(n *yaml.Node) sqlpos.Pos {
	return sqlpos.Pos{File: p.file, Line: n.Line, Col: n.Column}
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
		p.keyPos = map[string]sqlpos.Pos{}
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
		default:
			return false
		}
		return true
	})
}

func (p *parser) gen(n *yaml.Node, g *Gen) {
	bools := map[string]*bool{
		"emit_json_tags":               &g.EmitJSONTags,
		"emit_db_tags":                 &g.EmitDBTags,
		"emit_pointers_for_null_types": &g.EmitPointersForNullTypes,
		"emit_empty_slices":            &g.EmitEmptySlices,
		"emit_interface":               &g.EmitInterface,
		"emit_exact_table_names":       &g.EmitExactTableNames,
		"emit_enum_valid_method":       &g.EmitEnumValidMethod,
		"emit_all_enum_values":         &g.EmitAllEnumValues,
	}
	p.mapping(n, "gen", func(key string, k, v *yaml.Node) bool {
		p.remember("gen."+key, v)
		if b, ok := bools[key]; ok {
			*b = p.boolean(v, "gen."+key)
			return true
		}
		switch key {
		case "package":
			g.Package = p.str(v, "gen.package")
		case "out":
			g.Out = p.str(v, "gen.out")
		case "json_tags_case_style":
			g.JSONTagsCaseStyle = p.str(v, "gen.json_tags_case_style")
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

func (p *parser) override(n *yaml.Node, g *Gen) {
	o := Override{Pos: p.pos(n)}
	var goType *yaml.Node
	p.mapping(n, "override", func(key string, k, v *yaml.Node) bool {
		switch key {
		case "db_type":
			o.DBType = p.str(v, "db_type")
		case "column":
			o.Column = p.str(v, "column")
		case "nullable":
			o.Nullable = p.boolean(v, "nullable")
		case "go_type":
			goType = v
			o.GoType = p.goType(v)
		default:
			return false
		}
		return true
	})
	switch {
	case n.Kind != yaml.MappingNode:
		return
	case (o.DBType == "") == (o.Column == ""):
		p.errorf(n, "override needs exactly one of db_type and column")
	case goType == nil:
		p.errorf(n, "override needs go_type")
	}
	if o.Column != "" && strings.Count(o.Column, ".") == 0 {
		p.errorf(n, "override column %q must be table.column", o.Column)
	}
	g.Overrides = append(g.Overrides, o)
}

var goIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// goType accepts sqlc's two forms: "github.com/x/y.Type" (or a builtin such
// as "string"), or a mapping {import, package, type, pointer, slice}.
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
		if i := strings.LastIndexByte(s, '.'); i >= 0 {
			t.Import, t.Type = s[:i], s[i+1:]
		} else {
			t.Type = s
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
	}
	if !goIdent.MatchString(t.Type) {
		p.errorf(n, "go_type %q is not a Go type name", t.Type)
	}
	return t
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

func (p *parser) at(key string) sqlpos.Pos {
	if pos, ok := p.keyPos[key]; ok {
		return pos
	}
	return sqlpos.Pos{File: p.file, Line: 1, Col: 1}
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
	}
	if c.Gen.Out == "" {
		p.errs.Add(p.at("gen.out"), "gen.out must not be empty")
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
				p.errs.Add(p.at(list.key), "%s path %q does not exist", list.key, path)
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
