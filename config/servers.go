package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Server is one PostgreSQL server of a fleet, from tenantc.yaml's servers
// mapping. The first server listed is the control server: it holds the
// registry, and the shared tables are written there.
//
//	servers:
//	  main: $DATABASE_URL                # an environment variable
//	  eu: postgres://db-eu.internal/app  # or a URL
type Server struct {
	Name string
	// URL is the server's postgres:// URL as written, "" when Env is set.
	URL string
	// Env is the environment variable holding the URL, for a value written
	// $NAME or ${NAME}.
	Env string
}

// serverName is what a server may be called: it is stored in the
// registry's server column and printed by tenant list.
var serverName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// envRef matches a value naming an environment variable, $NAME or ${NAME}.
var envRef = regexp.MustCompile(`^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})$`)

// servers reads the servers mapping, keeping the file's order.
func (p *parser) servers(n *yaml.Node, c *Config) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "servers must be a mapping of server names to URLs")
		return
	}
	if len(n.Content) == 0 {
		p.errorf(n, "servers must name at least one server")
		return
	}
	c.Servers = []Server{}
	p.mapping(n, "servers", func(key string, k, v *yaml.Node) bool {
		if !serverName.MatchString(key) || len(key) > 63 {
			p.errorf(k, "server name %q must match [a-z][a-z0-9_]* and be at most 63 bytes", key)
		}
		s := Server{Name: key}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
			p.errorf(v, "servers.%s must be a postgres:// URL or an environment variable ($NAME)", key)
			c.Servers = append(c.Servers, s)
			return true
		}
		switch m := envRef.FindStringSubmatch(v.Value); {
		case m != nil:
			s.Env = m[1] + m[2]
		case strings.HasPrefix(v.Value, "postgres://") || strings.HasPrefix(v.Value, "postgresql://"):
			s.URL = v.Value
		default:
			p.errorf(v, "servers.%s must be a postgres:// URL or an environment variable ($NAME), not %q", key, v.Value)
		}
		c.Servers = append(c.Servers, s)
		return true
	})
}

// ControlServer returns the name of the control server — the first of
// servers — or "" when the config lists none (one server, from --url or
// DATABASE_URL).
func (c *Config) ControlServer() string {
	if len(c.Servers) == 0 {
		return ""
	}
	return c.Servers[0].Name
}

// Resolve returns the server's URL, reading its environment variable when
// it names one. An unset or empty variable is an error naming the server
// and the variable.
func (s Server) Resolve() (string, error) {
	if s.Env == "" {
		return s.URL, nil
	}
	u := os.Getenv(s.Env)
	if u == "" {
		return "", fmt.Errorf("config: server %q: environment variable %s is not set", s.Name, s.Env)
	}
	return u, nil
}
