package migdir

import (
	"testing"
	"time"
)

func TestNextVersion(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 500, time.UTC)
	files := func(v string) []File { return []File{{Version: "20250101000000"}, {Version: v}} }
	tests := []struct {
		name           string
		shared, tenant []File
		want           string
	}{
		{"empty", nil, nil, "20260101120000"},
		{"older", files("20260101115959"), nil, "20260101120000"},
		{"same second", nil, files("20260101120000"), "20260101120001"},
		{"ahead", files("20260101120005"), files("20260101120002"), "20260101120006"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextVersion(now, tt.shared, tt.tenant); got != tt.want {
				t.Errorf("NextVersion = %s, want %s", got, tt.want)
			}
		})
	}
}
