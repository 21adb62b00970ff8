// Command tenantc-vet runs tenantc's unscoped analyzer under go vet:
//
//	go install github.com/tenantc/tenantc/cmd/tenantc-vet
//	go vet -vettool=$(which tenantc-vet) ./...
//
// The analyzer reads the tenantc.yaml found in each package's directory or
// above it; -unscoped.config=/abs/path/tenantc.yaml names one explicitly.
// See package github.com/tenantc/tenantc/vet/unscoped for the findings.
package main

import (
	"golang.org/x/tools/go/analysis/unitchecker"

	"github.com/tenantc/tenantc/vet/unscoped"
)

func main() { unitchecker.Main(unscoped.Analyzer) }
