// Package templates holds the embedded text templates tenantc renders for
// output that is not Go code generated with jennifer, starting with the
// project scaffold written by tenantc init.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"text/template"
)

//go:embed init
var initFS embed.FS

// InitData fills in the tenantc init scaffold.
type InitData struct {
	// Package is the Go package name of the generated code (gen.package).
	Package string
}

var goIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Init renders the tenantc init scaffold: tenantc.yaml, an annotated schema,
// example queries, and a generate.go in the output package that carries the
// go:generate line. Keys are slash-separated paths relative to the project
// directory; the result is the same for the same data.
func Init(data InitData) (map[string][]byte, error) {
	if !goIdent.MatchString(data.Package) {
		return nil, fmt.Errorf("templates: %q is not a Go package name", data.Package)
	}
	out := "internal/" + data.Package
	// generate.go lives in the output package, so go generate runs in that
	// directory and needs the way back to the config.
	vars := map[string]string{
		"Package": data.Package,
		"Out":     out,
		"Config":  strings.Repeat("../", strings.Count(out, "/")+1) + "tenantc.yaml",
	}
	files := map[string][]byte{}
	err := fs.WalkDir(initFS, "init", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := initFS.ReadFile(name)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(name, "init/")
		if base, ok := strings.CutSuffix(rel, ".tmpl"); ok {
			t, err := template.New(path.Base(name)).Option("missingkey=error").Parse(string(src))
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := t.Execute(&b, vars); err != nil {
				return err
			}
			src, rel = b.Bytes(), base
		}
		if rel == "generate.go" {
			rel = out + "/generate.go"
		}
		files[rel] = src
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("templates: rendering the init scaffold: %w", err)
	}
	return files, nil
}
