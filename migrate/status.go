package migrate

import (
	"context"
	"maps"
	"slices"

	"github.com/tenantc/tenantc/config"
)

// StatusReport is where the shared schema and every tenant stand. Its
// JSON form is `tenantc migrate status --format json`.
type StatusReport struct {
	Shared  SharedStatus   `json:"shared"`
	Tenants []TenantStatus `json:"tenants"`
	Summary StatusSummary  `json:"summary"`
	// Servers are the servers of [Servers.Status], control first, each
	// with its shared schema's state; Shared is the control server's.
	Servers []ServerStatus `json:"servers,omitempty"`
}

// SharedStatus is the shared schema's latest applied version ("" before
// the first apply) and how many files are pending.
type SharedStatus struct {
	Version string `json:"version"`
	Pending int    `json:"pending"`
	// Applied are the versions applied, in order (not in the JSON form).
	Applied []string `json:"-"`
}

// TenantStatus is one tenant's latest applied version, pending file count
// and the error of its last failed attempt (nil when none is pending).
type TenantStatus struct {
	ID     string `json:"id"`
	Schema string `json:"schema"`
	// Server is the tenant's server, in a report of [Servers.Status].
	Server  string  `json:"server,omitempty"`
	Version string  `json:"version"`
	Pending int     `json:"pending"`
	Error   *string `json:"error"`
	// Applied are the versions applied, in order (not in the JSON form).
	Applied []string `json:"-"`
}

// StatusSummary counts tenants: Current have nothing pending, Pending have
// something pending, Failed are the pending ones whose last attempt failed.
type StatusSummary struct {
	Tenants int `json:"tenants"`
	Current int `json:"current"`
	Pending int `json:"pending"`
	Failed  int `json:"failed"`
}

// Status reads the migration state of the shared schema and of every
// tenant (or those of [WithTenants]) from the revisions table, in two
// queries whatever the fleet's size. It changes nothing.
func Status(ctx context.Context, pool DB, cfg *config.Config, opts ...StatusOption) (*StatusReport, error) {
	o := newOptions(opts)
	sharedFiles, tenantFiles, err := migrationFiles(cfg, o)
	if err != nil {
		return nil, err
	}
	applied, err := sharedApplied(ctx, pool, cfg.SharedSchema)
	if err != nil {
		return nil, err
	}
	rep := &StatusReport{Tenants: []TenantStatus{}}
	rep.Shared.Pending = len(pendingFiles(sharedFiles, applied))
	for _, f := range sharedFiles {
		if applied[f.Version] {
			rep.Shared.Version = f.Version
		}
	}
	rep.Shared.Applied = sortedVersions(applied)
	tenants, err := readTenants(ctx, pool, cfg, o.tenants)
	if err != nil {
		return nil, err
	}
	for _, t := range tenants {
		rep.add(t, "", tenantFiles)
	}
	return rep, nil
}

// add reports tenant t, on server, and counts it in the summary.
func (rep *StatusReport) add(t tenantRow, server string, tenantFiles []File) {
	ts := TenantStatus{ID: t.id, Schema: t.schema, Server: server, Version: t.version,
		Pending: len(pendingFiles(tenantFiles, t.applied)), Applied: sortedVersions(t.applied)}
	rep.Summary.Tenants++
	switch {
	case ts.Pending == 0:
		rep.Summary.Current++
	default:
		rep.Summary.Pending++
		if t.lastError != "" {
			e := t.lastError
			ts.Error = &e
			rep.Summary.Failed++
		}
	}
	rep.Tenants = append(rep.Tenants, ts)
}

func sortedVersions(applied map[string]bool) []string {
	return slices.Sorted(maps.Keys(applied))
}
