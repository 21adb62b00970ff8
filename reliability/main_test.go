package reliability_test

import (
	"os"
	"testing"

	"github.com/tenantc/tenantc/internal/pgtest"
)

func TestMain(m *testing.M) {
	// TestMigrateFleet runs this binary as a migrator it can kill.
	if os.Getenv(migratorChildEnv) != "" {
		os.Exit(migratorChild())
	}
	pgtest.Main(m)
}

// EnvSize names the environment variable that selects the full size.
const EnvSize = "TENANTC_RELIABILITY"

// size is the shape of one workload.
type size struct {
	name             string
	tenants, workers int
	ops              int
}

// loadSize returns the size of TestLoad: the full size when
// TENANTC_RELIABILITY=full, otherwise one that keeps the default test run
// well under a minute.
func loadSize() size {
	if full() {
		return size{name: "full", tenants: 1000, workers: 64, ops: 1_000_000}
	}
	return size{name: "reduced", tenants: 200, workers: 32, ops: 20_000}
}

// full reports whether the full size was asked for.
func full() bool { return os.Getenv(EnvSize) == "full" }
