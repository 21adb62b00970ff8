package migrate

import (
	"io/fs"
	"log/slog"
	"time"
)

// Each operation takes its own option type, as Atlas's executor and
// planner do, so that an option passed to an operation it does not concern
// does not compile. An option several operations take ([WithLogger],
// [WithTenants], [WithSchemaName], …) implements each of their types.

// ApplyOption configures [Apply].
type ApplyOption interface {
	setter
	applyOption()
}

// StatusOption configures [Status].
type StatusOption interface {
	setter
	statusOption()
}

// CreateOption configures [CreateTenant].
type CreateOption interface {
	setter
	createOption()
}

// DropOption configures [DropTenant].
type DropOption interface {
	setter
	dropOption()
}

// ListOption configures [ListTenants].
type ListOption interface {
	setter
	listOption()
}

// AdoptOption configures [AdoptTenant].
type AdoptOption interface {
	setter
	adoptOption()
}

// RenameOption configures [RenameTenant].
type RenameOption interface {
	setter
	renameOption()
}

// Option is an option that every operation takes: [WithLogger] and
// [WithMigrationsFS].
type Option func(*options)

func (f Option) set(o *options) { f(o) }
func (Option) applyOption()     {}
func (Option) statusOption()    {}
func (Option) createOption()    {}
func (Option) dropOption()      {}
func (Option) listOption()      {}
func (Option) adoptOption()     {}
func (Option) renameOption()    {}
func (Option) moveOption()      {}

// FleetOption is an option of the operations over the fleet, [Apply] and
// [Status]: [WithTenants].
type FleetOption func(*options)

func (f FleetOption) set(o *options) { f(o) }
func (FleetOption) applyOption()     {}
func (FleetOption) statusOption()    {}

// SchemaOption is an option of the operations that name a tenant's
// schema, [CreateTenant], [AdoptTenant] and [RenameTenant]:
// [WithSchemaName].
type SchemaOption func(*options)

func (f SchemaOption) set(o *options) { f(o) }
func (SchemaOption) createOption()    {}
func (SchemaOption) adoptOption()     {}
func (SchemaOption) renameOption()    {}

// RegistryOption is an option of the operations that insert a registry
// row, [CreateTenant] and [AdoptTenant]: [WithRegistryValues] and
// [WithRegistryText].
type RegistryOption func(*options)

func (f RegistryOption) set(o *options) { f(o) }
func (RegistryOption) createOption()    {}
func (RegistryOption) adoptOption()     {}

// applyOnly is an option of [Apply] alone.
type applyOnly func(*options)

func (f applyOnly) set(o *options) { f(o) }
func (applyOnly) applyOption()     {}

type setter interface{ set(*options) }

// options is what the operations read; each option sets its own fields.
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
	server         string            // Servers.CreateTenant: WithServer
	registryValues map[string]any    // tenant provisioning: WithRegistryValues
	registryText   map[string]string // tenant provisioning: WithRegistryText
	fsys           fs.FS
	grace          time.Duration   // Servers.MoveTenant: WithGrace
	moveProgress   func(MoveEvent) // Servers.MoveTenant: WithMoveProgress
}

func newOptions[O setter](opts []O) *options {
	o := &options{atomicLimit: 100, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt.set(o)
	}
	return o
}

// WithLogger sets the logger for debug output; the default discards it.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }
