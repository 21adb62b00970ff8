package ghactions

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		a    Annotation
		want string
	}{
		{
			name: "plain",
			a:    Annotation{Level: "error", File: "a.go", Line: 3, Col: 7, Title: "tenantc rule", Message: "bad (rule)"},
			want: "::error file=a.go,line=3,col=7,title=tenantc rule::bad (rule)\n",
		},
		{
			name: "escaped",
			a: Annotation{Level: "warning", File: "dir,x/a:b.sql", Line: 1, Col: 1, Title: "t:1,2",
				Message: "50% done\nline two\r\n::error::forged"},
			want: "::warning file=dir%2Cx/a%3Ab.sql,line=1,col=1,title=t%3A1%2C2::50%25 done%0Aline two%0D%0A::error::forged\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tt.a); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
