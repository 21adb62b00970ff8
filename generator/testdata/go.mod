module github.com/tenantc/tenantc/generator/testdata

go 1.26.4

require (
	github.com/jackc/pgx/v5 v5.9.2
	github.com/pgvector/pgvector-go v0.3.0
	github.com/tenantc/tenantc v0.0.0
)

require (
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.2 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/text v0.37.0 // indirect
)

replace github.com/tenantc/tenantc => ../..
