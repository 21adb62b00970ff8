// The golden packages are imported here so that loading them runs
// tenancy.NewSQL on every tenant statement, which panics on an offset
// that does not start a name. TestUsageLoadsEveryCase keeps the list
// complete.

package usage

import (
	_ "github.com/tenantc/tenantc/generator/testdata/commands/go"
	_ "github.com/tenantc/tenantc/generator/testdata/database_managed/go"
	_ "github.com/tenantc/tenantc/generator/testdata/db_argument/go"
	_ "github.com/tenantc/tenantc/generator/testdata/empty_slices/go"
	_ "github.com/tenantc/tenantc/generator/testdata/enums/go"
	_ "github.com/tenantc/tenantc/generator/testdata/exact_table_names/go"
	_ "github.com/tenantc/tenantc/generator/testdata/exported_sql_comment/go"
	_ "github.com/tenantc/tenantc/generator/testdata/files/go"
	_ "github.com/tenantc/tenantc/generator/testdata/interface/go"
	_ "github.com/tenantc/tenantc/generator/testdata/json_tags_camel/go"
	_ "github.com/tenantc/tenantc/generator/testdata/json_tags_pascal/go"
	_ "github.com/tenantc/tenantc/generator/testdata/macros/go"
	_ "github.com/tenantc/tenantc/generator/testdata/naming_initialisms/go"
	_ "github.com/tenantc/tenantc/generator/testdata/naming_sqlc/go"
	_ "github.com/tenantc/tenantc/generator/testdata/omit_unused/go"
	_ "github.com/tenantc/tenantc/generator/testdata/output_files/go"
	_ "github.com/tenantc/tenantc/generator/testdata/overrides/go"
	_ "github.com/tenantc/tenantc/generator/testdata/overrides_alias/go"
	_ "github.com/tenantc/tenantc/generator/testdata/overrides_db_type/go"
	_ "github.com/tenantc/tenantc/generator/testdata/overrides_nullable/go"
	_ "github.com/tenantc/tenantc/generator/testdata/overrides_struct_tag/go"
	_ "github.com/tenantc/tenantc/generator/testdata/overrides_wildcard/go"
	_ "github.com/tenantc/tenantc/generator/testdata/param_limit_0/go"
	_ "github.com/tenantc/tenantc/generator/testdata/param_limit_3/go"
	_ "github.com/tenantc/tenantc/generator/testdata/pointers/go"
	_ "github.com/tenantc/tenantc/generator/testdata/pointers_enum/go"
	_ "github.com/tenantc/tenantc/generator/testdata/references/go"
	_ "github.com/tenantc/tenantc/generator/testdata/select_empty/go"
	_ "github.com/tenantc/tenantc/generator/testdata/shared_batch_copyfrom/go"
	_ "github.com/tenantc/tenantc/generator/testdata/shared_only/go"
	_ "github.com/tenantc/tenantc/generator/testdata/sqlc_v1_json/go"
	_ "github.com/tenantc/tenantc/generator/testdata/sqlc_v2_sidecar/go"
	_ "github.com/tenantc/tenantc/generator/testdata/sqlc_v2_yaml/go"
	_ "github.com/tenantc/tenantc/generator/testdata/struct_pointers/go"
	_ "github.com/tenantc/tenantc/generator/testdata/tenant_basics/go"
	_ "github.com/tenantc/tenantc/generator/testdata/types/go"
	_ "github.com/tenantc/tenantc/generator/testdata/types_pgx/go"
	_ "github.com/tenantc/tenantc/generator/testdata/wrap_errors/go"
)
