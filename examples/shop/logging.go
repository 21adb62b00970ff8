package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"
)

// clientErrorCodes are the SQLSTATEs the API answers as the client's
// mistake (409 or 400, see server.fail): a product that does not exist, a
// duplicate, a value a check refuses. The statements that raise them are
// not the server's failures.
var clientErrorCodes = map[string]bool{"23503": true, "23505": true, "23514": true, "22P02": true}

// clientErrors is a slog.Handler that logs the tracer's failed statements
// at Info instead of Warn when they failed with a client error: the
// self-test provokes such failures on purpose, and an operator reading
// warnings wants the ones that need them.
type clientErrors struct{ slog.Handler }

func (h clientErrors) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && isClientError(r) {
		r = r.Clone()
		r.Level = slog.LevelInfo
		if !h.Handler.Enabled(ctx, r.Level) {
			return nil
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h clientErrors) WithAttrs(attrs []slog.Attr) slog.Handler {
	return clientErrors{h.Handler.WithAttrs(attrs)}
}

func (h clientErrors) WithGroup(name string) slog.Handler {
	return clientErrors{h.Handler.WithGroup(name)}
}

// isClientError reports whether r carries an err attribute that is a
// PostgreSQL error with one of clientErrorCodes.
func isClientError(r slog.Record) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		err, ok := a.Value.Any().(error)
		if !ok || a.Key != "err" {
			return true
		}
		var pgErr *pgconn.PgError
		found = errors.As(err, &pgErr) && clientErrorCodes[pgErr.Code]
		return false
	})
	return found
}
