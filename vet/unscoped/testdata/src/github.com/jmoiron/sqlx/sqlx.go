// Package sqlx is a stub of github.com/jmoiron/sqlx.
package sqlx

import (
	"context"
	"database/sql"
)

type DB struct{ *sql.DB }

func (db *DB) Select(dest interface{}, query string, args ...interface{}) error { return nil }
func (db *DB) GetContext(ctx context.Context, dest interface{}, query string, args ...interface{}) error {
	return nil
}
func (db *DB) MustExec(query string, args ...interface{}) sql.Result                  { return nil }
func (db *DB) NamedExec(query string, arg interface{}) (sql.Result, error)            { return nil, nil }
func (db *DB) Rebind(query string) string                                             { return query }
func (db *DB) Unsafe() *DB                                                            { return db }
func Select(q interface{}, dest interface{}, query string, args ...interface{}) error { return nil }
func In(query string, args ...interface{}) (string, []interface{}, error)             { return query, args, nil }
