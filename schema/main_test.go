package schema

import (
	"testing"

	"github.com/tenantc/tenantc/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
