package migrate

import (
	"io/fs"
	"log/slog"
	"time"
)

// Option configures [Apply], [Status] and the tenant operations; each
// ignores the options that do not concern it.
type Option func(*options)

type options struct {
	log            *slog.Logger
	progress       func(Event)
	parallel       int
	tenants        []string
	failFast       bool
	dryRun         bool
	atomic         bool
	atomicLimit    int
	lockTimeout    time.Duration
	schemaName     string            // tenant provisioning: WithSchemaName
	registryValues map[string]any    // tenant provisioning: WithRegistryValues
	registryText   map[string]string // tenant provisioning: WithRegistryText
	fsys           fs.FS
}

func newOptions(opts []Option) *options {
	o := &options{atomicLimit: 100, log: slog.New(slog.DiscardHandler)}
	for _, f := range opts {
		f(o)
	}
	return o
}

// WithLogger sets the logger for debug output; the default discards it.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }
