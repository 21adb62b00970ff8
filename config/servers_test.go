package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadServers(t *testing.T) {
	path := project(t, `version: "1"
servers:
  main: $MAIN_URL
  eu: postgres://db-eu.internal/app
  us: "${US_URL}"
`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Server{
		{Name: "main", Env: "MAIN_URL"},
		{Name: "eu", URL: "postgres://db-eu.internal/app"},
		{Name: "us", Env: "US_URL"},
	}
	if diff := cmp.Diff(want, c.Servers); diff != "" {
		t.Errorf("Servers (-want +got)\n%s", diff)
	}
	if got := c.ControlServer(); got != "main" {
		t.Errorf("ControlServer() = %q, want main (the first)", got)
	}
	t.Setenv("MAIN_URL", "postgres://main/app")
	t.Setenv("US_URL", "")
	if u, err := c.Servers[0].Resolve(); err != nil || u != "postgres://main/app" {
		t.Errorf("Resolve(main) = %q, %v", u, err)
	}
	if u, err := c.Servers[1].Resolve(); err != nil || u != "postgres://db-eu.internal/app" {
		t.Errorf("Resolve(eu) = %q, %v", u, err)
	}
	if _, err := c.Servers[2].Resolve(); err == nil || !strings.Contains(err.Error(), `server "us": environment variable US_URL is not set`) {
		t.Errorf("Resolve(us) with US_URL empty: %v", err)
	}

	def, err := Load(project(t, "version: \"1\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if def.Servers != nil || def.ControlServer() != "" {
		t.Errorf("without servers: Servers = %v, ControlServer = %q; want none (one server from the URL)", def.Servers, def.ControlServer())
	}
}

func TestLoadServersErrors(t *testing.T) {
	// Each case follows a version line, which the positions count.
	tests := []struct {
		name, src, want string
	}{
		{"not a mapping", "servers: [a, b]\n", "tenantc.yaml:2:10: servers must be a mapping of server names to URLs"},
		{"empty", "servers: {}\n", "tenantc.yaml:2:10: servers must name at least one server"},
		{"bad name", "servers:\n  Main: $X\n", `tenantc.yaml:3:3: server name "Main" must match [a-z][a-z0-9_]* and be at most 63 bytes`},
		{"bad value", "servers:\n  main: localhost:5432\n", `tenantc.yaml:3:9: servers.main must be a postgres:// URL or an environment variable ($NAME), not "localhost:5432"`},
		{"null value", "servers:\n  main:\n", "tenantc.yaml:3:8: servers.main must be a postgres:// URL or an environment variable ($NAME)"},
		{"duplicate", "servers:\n  a: $X\n  a: $Y\n", `tenantc.yaml:4:3: duplicate key "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(project(t, "version: \"1\"\n"+tt.src))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}
