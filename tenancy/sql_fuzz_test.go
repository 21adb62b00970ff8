package tenancy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantc/tenantc/tenancy"
	"github.com/tenantc/tenantc/tenancy/tenanttest"
)

// nopDB is a DBTX that is never called: Conn.SQL only needs a bound Conn.
type nopDB struct{ tenancy.DBTX }

// newSQL calls tenancy.NewSQL and reports a panic, its way of rejecting
// offsets, as ok == false.
func newSQL(text string, refs []int) (s *tenancy.SQL, msg string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			msg, ok = fmt.Sprint(r), false
		}
	}()
	return tenancy.NewSQL(text, refs...), "", true
}

// fuzzRefs turns fuzz bytes into reference offsets into text. The first
// byte picks how: gaps between ascending offsets (most are accepted),
// raw offsets (often out of order or out of range), or a choice among the
// places where a name starts (what generated code passes).
func fuzzRefs(text string, raw []byte) []int {
	if len(raw) == 0 {
		return nil
	}
	mode, raw := raw[0]%3, raw[1:]
	var refs []int
	switch mode {
	case 0:
		off := -1
		for _, b := range raw {
			off += 1 + int(b)
			refs = append(refs, off)
		}
	case 1:
		for _, b := range raw {
			refs = append(refs, int(b)-8)
		}
	case 2:
		for i := 0; i < len(text); i++ {
			c := text[i]
			start := c == '_' || c == '"' || c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
			if !start || i > 0 && strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.", text[i-1]) >= 0 {
				continue
			}
			if n := len(refs); n/8 < len(raw) && raw[n/8]&(1<<(n%8)) != 0 {
				refs = append(refs, i)
			} else if n/8 >= len(raw) {
				break
			}
		}
	}
	return refs
}

// FuzzSQL checks NewSQL and Conn.SQL together: NewSQL accepts only
// ascending offsets inside the text that start a name which is neither
// inside another name nor qualified already, and for an accepted statement
// the text for a tenant is the original text with the quoted schema and a
// dot at each offset, and nothing else. When the text has no double quote
// of its own, the only quotes in the result are those around the schema, so
// the schema name cannot leak into SQL unescaped.
func FuzzSQL(f *testing.F) {
	f.Add("SELECT * FROM items WHERE id = $1", []byte{0, 14}, "tenant_acme")
	f.Add("INSERT INTO items (tenant) SELECT tenant FROM items", []byte{0, 12, 33}, "t")
	f.Add("SELECT nextval('item_seq')", []byte{2, 0xff}, "tenant_0")
	f.Add(`SELECT * FROM "Items" i JOIN public.plans p ON true`, []byte{2, 0x05}, "s")
	f.Add("SELECT 1", []byte{1, 8, 8}, "x")
	f.Add("SELECT * FROM items", []byte{1, 30, 10}, "a\"b")
	f.Add("é FROM x", []byte{0, 0}, "tenant_"+strings.Repeat("z", 56))
	f.Fuzz(func(t *testing.T, text string, raw []byte, schema string) {
		refs := fuzzRefs(text, raw)
		s, msg, ok := newSQL(text, refs)
		// NewSQL's rules, restated.
		valid := true
		for i, r := range refs {
			switch {
			case r < 0 || r >= len(text) || i > 0 && r <= refs[i-1]:
				valid = false
			case !(text[r] == '_' || text[r] == '"' || text[r] >= 0x80 || 'a' <= text[r] && text[r] <= 'z' || 'A' <= text[r] && text[r] <= 'Z'):
				valid = false
			case r > 0 && strings.IndexByte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$.", text[r-1]) >= 0,
				r > 0 && text[r-1] >= 0x80:
				valid = false
			}
		}
		if ok != valid {
			t.Fatalf("NewSQL(%q, %v): accepted=%v (%s), want %v", text, refs, ok, msg, valid)
		}
		if !ok {
			return
		}
		if s.Text() != text {
			t.Fatalf("Text() = %q, want %q", s.Text(), text)
		}
		if tenancy.ValidateSchemaName(schema) != nil {
			return
		}
		tn := tenanttest.NewTenant(t, "x", schema)
		// An unbound Conn renders nothing and runs nothing.
		if got := (tenancy.Conn{}).SQL(s); got != "" {
			t.Fatalf("unbound Conn.SQL = %q, want \"\"", got)
		}
		if _, err := (tenancy.Conn{}).Exec(context.Background(), text); err != tenancy.ErrUnbound {
			t.Fatalf("unbound Exec: %v", err)
		}
		c := tenancy.Bind(nopDB{}, tn)
		got := c.SQL(s)
		prefix := pgx.Identifier{schema}.Sanitize() + "."
		if prefix != `"`+schema+`".` {
			t.Fatalf("schema %q quotes as %s", schema, prefix)
		}
		// Take the prefixes out again: what remains must be the text.
		var rest strings.Builder
		pos := 0
		for i, r := range refs {
			at := r + i*len(prefix)
			if !strings.HasPrefix(got[at:], prefix) {
				t.Fatalf("reference %d: %q has no %s at %d", i, got, prefix, at)
			}
			rest.WriteString(got[pos:at])
			pos = at + len(prefix)
		}
		rest.WriteString(got[pos:])
		if rest.String() != text || len(got) != len(text)+len(refs)*len(prefix) {
			t.Fatalf("SQL for %s = %q; without the prefixes %q, want %q", schema, got, rest.String(), text)
		}
		if !strings.Contains(text, `"`) {
			if n := strings.Count(got, `"`); n != 2*len(refs) || strings.Count(got, prefix) != len(refs) {
				t.Fatalf("SQL for %s = %q: %d quotes and %d prefixes for %d references", schema, got, n, strings.Count(got, prefix), len(refs))
			}
		}
	})
}
