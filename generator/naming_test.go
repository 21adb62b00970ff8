package generator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStructName(t *testing.T) {
	n := newNamer(map[string]string{"api_url": "Endpoint"}, "")
	tests := []struct{ in, want string }{
		{"tickets", "Tickets"},
		{"plan_id", "PlanID"},
		{"user_uuid", "UserUUID"},
		{"callback_url", "CallbackURL"},
		{"api_url", "Endpoint"}, // renamed
		{"json_body", "JSONBody"},
		{"ticket-status", "TicketStatus"},
		{"2fa_code", "_2faCode"},
		{"ID", "ID"},
	}
	for _, tt := range tests {
		if got := n.structName(tt.in); got != tt.want {
			t.Errorf("structName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestArgName(t *testing.T) {
	n := newNamer(nil, "")
	tests := []struct{ in, want string }{
		{"id", "id"},
		{"plan_id", "planID"},
		{"new_title", "newTitle"},
		{"Title", "title"},
		{"api_url", "apiURL"},
	}
	for _, tt := range tests {
		if got := n.argName(tt.in); got != tt.want {
			t.Errorf("argName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSingular(t *testing.T) {
	tests := []struct{ in, want string }{
		{"tickets", "ticket"},
		{"categories", "category"},
		{"campus", "campus"},
		{"metadata", "metadata"},
		{"calories", "calorie"},
		{"people", "person"},
	}
	for _, tt := range tests {
		if got := singular(tt.in); got != tt.want {
			t.Errorf("singular(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestJSONTag(t *testing.T) {
	tests := []struct {
		style string
		want  []string
	}{
		{"", []string{"plan_id", "createdAt"}},
		{"none", []string{"plan_id", "createdAt"}},
		{"camel", []string{"planId", "createdAt"}},
		{"pascal", []string{"PlanID", "CreatedAt"}},
		{"snake", []string{"plan_id", "created_at"}},
	}
	for _, tt := range tests {
		n := newNamer(nil, tt.style)
		got := []string{n.jsonTag("plan_id"), n.jsonTag("createdAt")}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("style %q (-want +got):\n%s", tt.style, diff)
		}
	}
}

func TestVarName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"count", "count"},
		{"plan_id", "plan_id"},
		{"?column?", "_column_"},
		{"type", "type_"},
		{"err", "err_"},
		{"1st", "_1st"},
	}
	for _, tt := range tests {
		if got := varName(tt.in); got != tt.want {
			t.Errorf("varName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEnumValueIdent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"in-progress", "in_progress"},
		{"won't fix", "wontfix"},
		{"a/b:c", "a_b_c"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := enumValueIdent(tt.in); got != tt.want {
			t.Errorf("enumValueIdent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestToSnake(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ticket", "ticket"},
		{"TicketURL", "ticket_url"},
		{"PricePlans", "price_plans"},
		{"plan_id", "plan_id"},
	}
	for _, tt := range tests {
		if got := toSnake(tt.in); got != tt.want {
			t.Errorf("toSnake(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
