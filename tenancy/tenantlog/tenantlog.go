// Package tenantlog logs database work with its tenant: [Tracer] is a pgx
// QueryTracer that tags each statement, batch and copy with the tenant it
// ran for, and [NewHandler] adds the context's tenant to every slog record.
// It sits beside tenancy as pgx's tracelog sits beside pgx:
//
//	cfg, _ := pgxpool.ParseConfig(url)
//	cfg.ConnConfig.Tracer = tenantlog.NewTracer(nil, logger)
//	logger = slog.New(tenantlog.NewHandler(handler))
//
// A [tenancy.Tenant] logs as a group of its id and schema.
package tenantlog

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/tenancy"
)

// defaultSharedSchema is the shared schema of tenantc's default
// configuration, whose qualifier names no tenant.
const defaultSharedSchema = "public"

// Tracer is a pgx QueryTracer that logs each query with its tenant, so a
// slow or failing statement names the tenant it ran for. Install it on the
// pool:
//
//	cfg, _ := pgxpool.ParseConfig(url)
//	cfg.ConnConfig.Tracer = tenantlog.NewTracer(nil, logger)
//
// The tenant comes from the query's context ([tenancy.FromContext]):
// tenanthttp.Middleware puts it there for HTTP requests; background jobs
// call [tenancy.NewContext]. A
// statement run without one is tagged with the tenant schema its text
// names, if any, found by the quoted qualifier the runtime inserts.
//
// Successful statements are logged at Debug, failed ones at Warn — whether
// a failure is an error (a unique violation may be an expected answer) is
// the caller's call — with the attributes tenant (a group of id and
// schema), sql (table for a copy), rows, duration and err. Batches and
// copies are traced too. Arguments are never logged: they are user data.
type Tracer struct {
	next   pgx.QueryTracer
	log    *slog.Logger
	shared string
}

// TracerOption configures a [Tracer].
type TracerOption func(*Tracer)

// TraceSharedSchema names the shared schema (default "public"), whose
// qualifier in a statement's text is not a tenant's.
func TraceSharedSchema(name string) TracerOption {
	return func(t *Tracer) { t.shared = name }
}

// NewTracer returns a Tracer logging to logger that then calls next (nil
// for none), so it composes with another tracer, such as pgx's tracelog.
// next sees the same context, tenant included. A nil logger logs nothing.
func NewTracer(next pgx.QueryTracer, logger *slog.Logger, opts ...TracerOption) *Tracer {
	t := &Tracer{next: next, log: logger, shared: defaultSharedSchema}
	for _, opt := range opts {
		opt(t)
	}
	return t
}

// traceKey is the context key of a query's queryTrace, from start to end.
type traceKey struct{}

type queryTrace struct {
	start  time.Time
	sql    string
	tenant slog.Value
}

// begin records the start of a statement, batch or copy in ctx, unless
// nothing would be logged: failures log at Warn, so when even that is off
// the bookkeeping is skipped.
func (tr *Tracer) begin(ctx context.Context, sql string, tenant func() slog.Value) context.Context {
	if tr.log == nil || !tr.log.Enabled(ctx, slog.LevelWarn) {
		return ctx
	}
	return context.WithValue(ctx, traceKey{}, &queryTrace{start: time.Now(), sql: sql, tenant: tenant()})
}

// end logs what begin recorded: msg at Debug, or msg+" failed" at Warn
// when err is set, with the tenant, the duration and attrs.
func (tr *Tracer) end(ctx context.Context, msg string, err error, attrs ...slog.Attr) {
	q, ok := ctx.Value(traceKey{}).(*queryTrace)
	if !ok {
		return
	}
	level := slog.LevelDebug
	if err != nil {
		level, msg = slog.LevelWarn, msg+" failed"
	}
	if !tr.log.Enabled(ctx, level) {
		return
	}
	all := make([]slog.Attr, 0, len(attrs)+4)
	all = append(all, slog.Any("tenant", q.tenant))
	all = append(all, attrs...)
	all = append(all, slog.Duration("duration", time.Since(q.start)))
	if err != nil {
		all = append(all, slog.Any("err", err))
	}
	tr.log.LogAttrs(ctx, level, msg, all...)
}

// TraceQueryStart implements pgx.QueryTracer.
func (tr *Tracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	ctx = tr.begin(ctx, data.SQL, func() slog.Value { return tr.tenantValue(ctx, data.SQL) })
	if tr.next != nil {
		ctx = tr.next.TraceQueryStart(ctx, conn, data)
	}
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (tr *Tracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryEndData) {
	if tr.next != nil {
		tr.next.TraceQueryEnd(ctx, conn, data)
	}
	if q, ok := ctx.Value(traceKey{}).(*queryTrace); ok {
		tr.end(ctx, "query", data.Err, slog.String("sql", q.sql), slog.Int64("rows", data.CommandTag.RowsAffected()))
	}
}

// TraceBatchStart implements pgx.BatchTracer: a batch is tagged like its
// first statement, and each of its statements is logged as "batch query".
func (tr *Tracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	first := ""
	if data.Batch != nil && len(data.Batch.QueuedQueries) > 0 {
		first = data.Batch.QueuedQueries[0].SQL
	}
	ctx = tr.begin(ctx, first, func() slog.Value { return tr.tenantValue(ctx, first) })
	if bt, ok := tr.next.(pgx.BatchTracer); ok {
		ctx = bt.TraceBatchStart(ctx, conn, data)
	}
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer.
func (tr *Tracer) TraceBatchQuery(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchQueryData) {
	if bt, ok := tr.next.(pgx.BatchTracer); ok {
		bt.TraceBatchQuery(ctx, conn, data)
	}
	tr.end(ctx, "batch query", data.Err, slog.String("sql", data.SQL), slog.Int64("rows", data.CommandTag.RowsAffected()))
}

// TraceBatchEnd implements pgx.BatchTracer.
func (tr *Tracer) TraceBatchEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchEndData) {
	if bt, ok := tr.next.(pgx.BatchTracer); ok {
		bt.TraceBatchEnd(ctx, conn, data)
	}
	tr.end(ctx, "batch", data.Err)
}

// TraceCopyFromStart implements pgx.CopyFromTracer: a copy into a table
// qualified with a tenant schema ([tenancy.Conn.Table]) is tagged with it.
func (tr *Tracer) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromStartData) context.Context {
	ctx = tr.begin(ctx, data.TableName.Sanitize(), func() slog.Value {
		if t, ok := tenancy.FromContext(ctx); ok {
			return t.LogValue()
		}
		if len(data.TableName) == 2 && data.TableName[0] != tr.shared {
			return slog.GroupValue(slog.String("schema", data.TableName[0]))
		}
		return slog.GroupValue()
	})
	if ct, ok := tr.next.(pgx.CopyFromTracer); ok {
		ctx = ct.TraceCopyFromStart(ctx, conn, data)
	}
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (tr *Tracer) TraceCopyFromEnd(ctx context.Context, conn *pgx.Conn, data pgx.TraceCopyFromEndData) {
	if ct, ok := tr.next.(pgx.CopyFromTracer); ok {
		ct.TraceCopyFromEnd(ctx, conn, data)
	}
	if q, ok := ctx.Value(traceKey{}).(*queryTrace); ok {
		tr.end(ctx, "copy", data.Err, slog.String("table", q.sql), slog.Int64("rows", data.CommandTag.RowsAffected()))
	}
}

// tenantValue returns the tenant of a query for logs: the context's tenant,
// or else the first tenant schema named in sql, or an empty group.
func (tr *Tracer) tenantValue(ctx context.Context, sql string) slog.Value {
	if t, ok := tenancy.FromContext(ctx); ok {
		return t.LogValue()
	}
	if s := tenantSchemaIn(sql, tr.shared); s != "" {
		return slog.GroupValue(slog.String("schema", s))
	}
	return slog.GroupValue()
}

// tenantSchemaIn returns the first schema in sql written as a quoted
// qualifier ("name".) other than shared: the form [tenancy.Conn.SQL] inserts.
// Schema names are [a-z0-9_] ([tenancy.ValidateSchemaName]), so no escaped quote
// can occur inside one.
func tenantSchemaIn(sql, shared string) string {
	for i := 0; i < len(sql); i++ {
		if sql[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(sql) && isSchemaByte(sql[j]) {
			j++
		}
		if j+1 < len(sql) && j > i+1 && sql[j] == '"' && sql[j+1] == '.' {
			if name := sql[i+1 : j]; name != shared {
				return name
			}
		}
		i = j
	}
	return ""
}

func isSchemaByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
}

// NewHandler wraps h so that every record logged with a context holding
// a tenant ([tenancy.FromContext]) carries the attribute tenant (a group of
// id and schema), unless it has one already:
//
//	logger := slog.New(tenantlog.NewHandler(slog.NewJSONHandler(os.Stderr, nil)))
//	logger.InfoContext(r.Context(), "order placed") // … "tenant":{"id":"acme","schema":"tenant_acme"}
func NewHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ h slog.Handler }

func (l logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return l.h.Enabled(ctx, level)
}

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if t, ok := tenancy.FromContext(ctx); ok {
		has := false
		r.Attrs(func(a slog.Attr) bool {
			has = a.Key == "tenant"
			return !has
		})
		if !has {
			r = r.Clone()
			r.AddAttrs(slog.Any("tenant", t))
		}
	}
	return l.h.Handle(ctx, r)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.h.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler {
	return logHandler{l.h.WithGroup(name)}
}

var (
	_ pgx.QueryTracer    = (*Tracer)(nil)
	_ pgx.BatchTracer    = (*Tracer)(nil)
	_ pgx.CopyFromTracer = (*Tracer)(nil)
	_ slog.Handler       = logHandler{}
)
