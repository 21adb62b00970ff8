package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantc/tenantc/position"
	"gopkg.in/yaml.v3"
)

// A sqlc config (sqlc.yaml, sqlc.yml or sqlc.json, version 1 or 2) is read
// as a tenantc config: its PostgreSQL package with Go code becomes the
// schema, queries and gen settings, and what sqlc has no key for (scopes,
// the shared schema, the registry) comes from a "tenantc" block in the
// file or from a sidecar file beside it, sqlc.tenantc.yaml for sqlc.yaml.
// sqlc rejects unknown keys, so a team that still runs sqlc keeps the
// sidecar; one that has switched can use the block.
//
// The conversion rewrites the sqlc document into tenantc.yaml's shape,
// keeping every node's position, so errors point into the sqlc file.

// tenantcKeys are the tenantc.yaml keys a tenantc block or sidecar may set.
var tenantcKeys = map[string]bool{
	"default_scope": true, "shared_schema": true, "tenant_schema": true,
	"registry": true, "migrations": true, "package": true,
}

// sqlcPackageKeys are the keys of a sqlc package (v1) or sql entry (v2)
// that are tenantc top-level keys; the others of a v1 package are Go
// options and go under gen.
var sqlcPackageKeys = map[string]bool{
	"schema": true, "queries": true, "database": true, "analyzer": true,
	"strict_function_checks": true, "strict_order_by": true, "rules": true,
}

// isSQLC reports whether doc is a sqlc config: tenantc.yaml has neither a
// packages list (sqlc v1) nor a sql list (sqlc v2).
func isSQLC(root *yaml.Node) bool {
	if root.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i].Value; k == "packages" || k == "sql" {
			return true
		}
	}
	return false
}

// SidecarPath is the file beside a sqlc config that holds its tenantc
// settings: sqlc.tenantc.yaml for sqlc.yaml or sqlc.json.
func SidecarPath(sqlcPath string) string {
	ext := filepath.Ext(sqlcPath)
	return strings.TrimSuffix(sqlcPath, ext) + ".tenantc.yaml"
}

// fromSQLC rewrites a sqlc config document into a tenantc.yaml document.
// sidecar is the sidecar's root mapping, or nil.
func (p *parser) fromSQLC(root, sidecar *yaml.Node) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key *yaml.Node, name string, v *yaml.Node) {
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name, Line: key.Line, Column: key.Column}
		out.Content = append(out.Content, k, v)
	}
	gen := &yaml.Node{Kind: yaml.MappingNode}
	addGen := func(key *yaml.Node, name string, v *yaml.Node) {
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name, Line: key.Line, Column: key.Column}
		gen.Content = append(gen.Content, k, v)
	}
	version := "1"
	var packages, tenantc, globalOverrides, globalRename *yaml.Node
	var versionNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "version":
			version, versionNode = v.Value, v
		case "packages", "sql":
			packages = v
		case "tenantc":
			tenantc = v
		case "overrides":
			globalOverrides = v
		case "rename":
			globalRename = v
		case "cloud", "rules", "plugins", "servers":
			// sqlc vet's rule definitions, sqlc Cloud and plugins: not
			// tenantc's business.
		default:
			p.errorf(k, "unknown key %q in a sqlc config", k.Value)
		}
	}
	if version != "1" && version != "2" {
		p.errorf(versionNode, "unsupported sqlc config version %q (want \"1\" or \"2\")", version)
		return out
	}
	// sqlc v2 keeps global Go overrides under overrides.go.
	if version == "2" && globalOverrides != nil {
		goNode := mapValue(globalOverrides, "go")
		globalOverrides, globalRename = nil, nil
		if goNode != nil {
			globalOverrides, globalRename = mapValue(goNode, "overrides"), mapValue(goNode, "rename")
		}
	}
	settings := tenantc
	if sidecar != nil {
		if tenantc != nil {
			p.errorf(tenantc, "tenantc settings both here and in %s; keep one", filepath.Base(SidecarPath(p.file)))
		}
		settings = sidecar
	}
	var want string
	if settings != nil {
		if n := mapValue(settings, "package"); n != nil {
			want = n.Value
		}
	}
	pkg := p.sqlcPackage(packages, version, want)
	if pkg == nil {
		return out
	}
	if settings != nil {
		if settings.Kind != yaml.MappingNode {
			p.errorf(settings, "tenantc settings must be a mapping")
		}
		for i := 0; i+1 < len(settings.Content); i += 2 {
			k, v := settings.Content[i], settings.Content[i+1]
			switch {
			case k.Value == "package":
			case tenantcKeys[k.Value]:
				add(k, k.Value, v)
			default:
				p.errorf(k, "unknown key %q in tenantc settings (want default_scope, shared_schema, tenant_schema, registry, migrations or package)", k.Value)
			}
		}
	}
	var goOpts *yaml.Node // v2: gen.go
	sqlPackage := false
	for i := 0; i+1 < len(pkg.Content); i += 2 {
		k, v := pkg.Content[i], pkg.Content[i+1]
		switch {
		case k.Value == "engine" || k.Value == "name" && version == "2" || k.Value == "codegen":
		case sqlcPackageKeys[k.Value]:
			add(k, k.Value, v)
		case version == "2" && k.Value == "gen":
			goOpts = mapValue(v, "go")
		case version == "1" && k.Value == "name":
			addGen(k, "package", v)
		case version == "1" && k.Value == "path":
			addGen(k, "out", v)
		case version == "1":
			sqlPackage = sqlPackage || k.Value == "sql_package"
			p.addGenOption(addGen, k, v, globalOverrides, globalRename)
		default:
			p.errorf(k, "unknown key %q in a sqlc sql entry", k.Value)
		}
	}
	if version == "2" {
		if goOpts == nil {
			p.errorf(pkg, "the sqlc sql entry has no gen.go: tenantc generates Go")
			return out
		}
		for i := 0; i+1 < len(goOpts.Content); i += 2 {
			k, v := goOpts.Content[i], goOpts.Content[i+1]
			sqlPackage = sqlPackage || k.Value == "sql_package"
			p.addGenOption(addGen, k, v, globalOverrides, globalRename)
		}
	}
	if !sqlPackage {
		// sqlc's default is database/sql; tenantc would change the API.
		p.errorf(pkg, "sqlc generates database/sql code for this package (no sql_package); tenantc generates pgx/v5 only: set sql_package: pgx/v5")
	}
	// sqlc names the package after out's last element when package is unset.
	if out := mapValue(gen, "out"); out != nil && !hasKey(gen, "package") {
		name := *out
		name.Value = filepath.Base(out.Value)
		addGen(out, "package", &name)
	}
	// Global overrides and renames apply when the package has none of its own.
	if !hasKey(gen, "overrides") && globalOverrides != nil {
		addGen(globalOverrides, "overrides", globalOverrides)
	}
	if !hasKey(gen, "rename") && globalRename != nil {
		addGen(globalRename, "rename", globalRename)
	}
	add(pkg, "gen", gen)
	return out
}

// addGenOption adds one sqlc Go option to gen; the package's overrides
// follow the global ones and its renames win, as in sqlc.
func (p *parser) addGenOption(addGen func(k *yaml.Node, name string, v *yaml.Node), k, v, globalOverrides, globalRename *yaml.Node) {
	switch {
	case k.Value == "overrides" && globalOverrides != nil && globalOverrides.Kind == yaml.SequenceNode && v.Kind == yaml.SequenceNode:
		merged := *v
		merged.Content = append(append([]*yaml.Node(nil), globalOverrides.Content...), v.Content...)
		addGen(k, "overrides", &merged)
	case k.Value == "rename" && globalRename != nil && globalRename.Kind == yaml.MappingNode && v.Kind == yaml.MappingNode:
		merged := *v
		merged.Content = append(append([]*yaml.Node(nil), globalRename.Content...), v.Content...)
		merged.Content = dedupeMapping(merged.Content)
		addGen(k, "rename", &merged)
	default:
		addGen(k, k.Value, v)
	}
}

// sqlcPackage picks the PostgreSQL package of a sqlc config: the one named
// want (a v1 package name, or a v2 entry's name or gen.go.package), or the
// only one.
func (p *parser) sqlcPackage(list *yaml.Node, version, want string) *yaml.Node {
	if list == nil || list.Kind != yaml.SequenceNode {
		p.errs.Add(position.Pos{File: p.file, Line: 1, Col: 1}, "the sqlc config has no packages")
		return nil
	}
	var pg []*yaml.Node
	for _, e := range list.Content {
		if e.Kind != yaml.MappingNode {
			continue
		}
		if eng := mapValue(e, "engine"); eng != nil && eng.Value != "postgresql" {
			continue
		}
		if want != "" && !packageNamed(e, version, want) {
			continue
		}
		pg = append(pg, e)
	}
	switch {
	case len(pg) == 1:
		return pg[0]
	case len(pg) == 0 && want != "":
		p.errorf(list, "no PostgreSQL package named %q in the sqlc config", want)
	case len(pg) == 0:
		p.errorf(list, "the sqlc config has no PostgreSQL package: tenantc is for PostgreSQL")
	default:
		p.errorf(list, "the sqlc config has %d PostgreSQL packages: name one with package in the tenantc settings", len(pg))
	}
	return nil
}

func packageNamed(e *yaml.Node, version, want string) bool {
	if version == "1" {
		n := mapValue(e, "name")
		return n != nil && n.Value == want
	}
	if n := mapValue(e, "name"); n != nil && n.Value == want {
		return true
	}
	if g := mapValue(mapValue(e, "gen"), "go"); g != nil {
		if n := mapValue(g, "package"); n != nil && n.Value == want {
			return true
		}
	}
	return false
}

// mapValue returns the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func hasKey(n *yaml.Node, key string) bool { return mapValue(n, key) != nil }

// dedupeMapping keeps the last value of each key of a mapping's content.
func dedupeMapping(content []*yaml.Node) []*yaml.Node {
	last := map[string]int{}
	for i := 0; i+1 < len(content); i += 2 {
		last[content[i].Value] = i
	}
	var out []*yaml.Node
	for i := 0; i+1 < len(content); i += 2 {
		if last[content[i].Value] == i {
			out = append(out, content[i], content[i+1])
		}
	}
	return out
}

// readSidecar parses the sidecar of the sqlc config at path, if it exists.
func (p *parser) readSidecar(path string) *yaml.Node {
	src, err := os.ReadFile(SidecarPath(path))
	if err != nil {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		p.errs.Add(position.Pos{File: filepath.Base(SidecarPath(path)), Line: yamlErrLine(err), Col: 1}, "%s", yamlErrMsg(err))
		return nil
	}
	if len(doc.Content) == 0 {
		return nil
	}
	return doc.Content[0]
}

// FromSQLC converts the sqlc config at path (with its tenantc block or
// sidecar) into the contents of an equivalent tenantc.yaml, for tenantc
// init --from. Problems are reported as by [Load].
func FromSQLC(path string) ([]byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	p := &parser{file: filepath.Base(path)}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		p.errs.Add(position.Pos{File: p.file, Line: yamlErrLine(err), Col: 1}, "%s", yamlErrMsg(err))
		return nil, &Error{List: p.errs}
	}
	if len(doc.Content) == 0 || !isSQLC(doc.Content[0]) {
		p.errs.Add(position.Pos{File: p.file, Line: 1, Col: 1}, "not a sqlc config (no packages or sql list)")
		return nil, &Error{List: p.errs}
	}
	conv := p.fromSQLC(doc.Content[0], p.readSidecar(path))
	// Check the result as tenantc.yaml would be checked.
	if _, err := Parse(path, src); err != nil {
		return nil, err
	}
	if len(p.errs) > 0 {
		p.errs.Sort()
		return nil, &Error{List: p.errs}
	}
	clearStyle(conv)
	version := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "1", Style: yaml.DoubleQuotedStyle}
	conv.Content = append([]*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "version"}, version}, conv.Content...)
	var buf bytes.Buffer
	buf.WriteString("# Converted from " + filepath.Base(path) + " by tenantc init --from.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(conv); err != nil {
		return nil, fmt.Errorf("config: writing tenantc.yaml: %w", err)
	}
	return buf.Bytes(), nil
}

// clearStyle drops JSON's flow and quoting styles so that a converted
// sqlc.json reads as block YAML; strings that need quotes keep them.
func clearStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style &^= yaml.FlowStyle
	}
	if n.Kind == yaml.ScalarNode && n.Style == yaml.DoubleQuotedStyle && n.Tag == "!!str" {
		n.Style = 0
	}
	for _, c := range n.Content {
		clearStyle(c)
	}
}
