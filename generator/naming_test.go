package generator

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tenantc/tenantc/config"
)

func TestStructName(t *testing.T) {
	tests := []struct {
		name        string
		initialisms []string // nil: sqlc's default
		in, want    string
	}{
		{"plain", nil, "tickets", "Tickets"},
		{"id", nil, "plan_id", "PlanID"},
		{"only id by default", nil, "user_uuid", "UserUuid"},
		{"url is no initialism by default", nil, "callback_url", "CallbackUrl"},
		{"ip", nil, "ip_protocol_ip", "IpProtocolIp"},
		{"utc", nil, "utc_offset", "UtcOffset"},
		{"json", nil, "json_build_array", "JsonBuildArray"},
		{"uri", nil, "uri", "Uri"},
		{"renamed", nil, "api_url", "Endpoint"},
		{"dash", nil, "ticket-status", "TicketStatus"},
		{"leading digit", nil, "2fa_code", "_2faCode"},
		{"upper", nil, "ID", "ID"},
		{"case-sensitive", nil, "user_Id", "UserId"},
		{"user initialisms", []string{"id", "url", "api"}, "api_url", "Endpoint"},
		{"user initialisms apply", []string{"id", "url", "api"}, "api_callback_url", "APICallbackURL"},
		{"user list replaces id", []string{"url"}, "user_id", "UserId"},
		{"empty list", []string{}, "plan_id", "PlanId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNamer(&config.Gen{Rename: map[string]string{"api_url": "Endpoint"}, Initialisms: tt.initialisms})
			if got := n.structName(tt.in); got != tt.want {
				t.Errorf("structName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestArgName(t *testing.T) {
	// Lone parameters upper-case only "id", whatever the initialisms.
	n := newNamer(&config.Gen{Initialisms: []string{"url"}})
	tests := []struct{ in, want string }{
		{"id", "id"},
		{"plan_id", "planID"},
		{"new_title", "newTitle"},
		{"Title", "title"},
		{"api_url", "apiUrl"},
	}
	for _, tt := range tests {
		if got := n.argName(tt.in); got != tt.want {
			t.Errorf("argName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSpreadName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"PlanID", "planID"},
		{"APIURL", "aPIURL"},
		{"Count_2", "count_2"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := spreadName(tt.in); got != tt.want {
			t.Errorf("spreadName(%q) = %q, want %q", tt.in, got, tt.want)
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
		{"News", "News"}, // excluded, case-insensitively
	}
	for _, tt := range tests {
		if got := singular(tt.in, []string{"news"}); got != tt.want {
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
		{"camel-id-upper", []string{"planID", "createdAt"}},
		{"pascal", []string{"PlanID", "CreatedAt"}},
		{"snake", []string{"plan_id", "created_at"}},
	}
	for _, tt := range tests {
		style, upper := strings.CutSuffix(tt.style, "-id-upper")
		n := newNamer(&config.Gen{JSONTagsCaseStyle: style, JSONTagsIDUppercase: upper})
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
		{"V2Table", "v2_table"},
		{"ABTest", "abtest"},
	}
	for _, tt := range tests {
		if got := toSnake(tt.in); got != tt.want {
			t.Errorf("toSnake(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
