package pgtest

import "testing"

func TestWithDatabase(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"postgres://u:p@h:5432/postgres?sslmode=disable", "postgres://u:p@h:5432/x?sslmode=disable", true},
		{"postgresql://h", "postgresql://h/x", true},
		{"host=h dbname=postgres", "", false},
		{"mysql://h/db", "", false},
	}
	for _, tt := range tests {
		got, err := withDatabase(tt.in, "x")
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("withDatabase(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
