package queries

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// pluginMessage is sqlc's registered descriptor of plugin.<name>: the
// embedded engine links sqlc's plugin package, which registers it.
func pluginMessage(t *testing.T, name string) protoreflect.MessageDescriptor {
	t.Helper()
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName("plugin." + name))
	if err != nil {
		t.Fatalf("sqlc's plugin.%s is not registered: %v", name, err)
	}
	return d.(protoreflect.MessageDescriptor)
}

// TestRequestFieldNumbers checks decodeRequest's field numbers and wire
// types against the descriptor of the sqlc version tenantc embeds.
func TestRequestFieldNumbers(t *testing.T) {
	fields := map[string]map[string]protowireField{
		"GenerateRequest": {"catalog": {requestCatalog, protoreflect.MessageKind}, "queries": {requestQueries, protoreflect.MessageKind}, "sqlc_version": {requestSQLCVersion, protoreflect.StringKind}},
		"Catalog":         {"comment": {catalogComment, protoreflect.StringKind}, "default_schema": {catalogDefaultSchema, protoreflect.StringKind}, "name": {catalogName, protoreflect.StringKind}, "schemas": {catalogSchemas, protoreflect.MessageKind}},
		"Schema":          {"comment": {schemaComment, protoreflect.StringKind}, "name": {schemaName, protoreflect.StringKind}, "tables": {schemaTables, protoreflect.MessageKind}, "enums": {schemaEnums, protoreflect.MessageKind}, "composite_types": {schemaCompositeTypes, protoreflect.MessageKind}},
		"CompositeType":   {"name": {compositeTypeName, protoreflect.StringKind}, "comment": {compositeTypeComment, protoreflect.StringKind}},
		"Enum":            {"name": {enumName, protoreflect.StringKind}, "vals": {enumVals, protoreflect.StringKind}, "comment": {enumComment, protoreflect.StringKind}},
		"Table":           {"rel": {tableRel, protoreflect.MessageKind}, "columns": {tableColumns, protoreflect.MessageKind}, "comment": {tableComment, protoreflect.StringKind}},
		"Identifier":      {"catalog": {identifierCatalog, protoreflect.StringKind}, "schema": {identifierSchema, protoreflect.StringKind}, "name": {identifierName, protoreflect.StringKind}},
		"Column": {
			"name": {columnName, protoreflect.StringKind}, "not_null": {columnNotNull, protoreflect.BoolKind}, "is_array": {columnIsArray, protoreflect.BoolKind},
			"comment": {columnComment, protoreflect.StringKind}, "length": {columnLength, protoreflect.Int32Kind}, "is_named_param": {columnIsNamedParam, protoreflect.BoolKind},
			"is_func_call": {columnIsFuncCall, protoreflect.BoolKind}, "scope": {columnScope, protoreflect.StringKind}, "table": {columnTable, protoreflect.MessageKind},
			"table_alias": {columnTableAlias, protoreflect.StringKind}, "type": {columnType, protoreflect.MessageKind}, "is_sqlc_slice": {columnIsSqlcSlice, protoreflect.BoolKind},
			"embed_table": {columnEmbedTable, protoreflect.MessageKind}, "original_name": {columnOriginalName, protoreflect.StringKind}, "unsigned": {columnUnsigned, protoreflect.BoolKind},
			"array_dims": {columnArrayDims, protoreflect.Int32Kind},
		},
		"Query": {
			"text": {queryText, protoreflect.StringKind}, "name": {queryName, protoreflect.StringKind}, "cmd": {queryCmd, protoreflect.StringKind},
			"columns": {queryColumns, protoreflect.MessageKind}, "params": {queryParams, protoreflect.MessageKind}, "comments": {queryComments, protoreflect.StringKind},
			"filename": {queryFilename, protoreflect.StringKind}, "insert_into_table": {queryInsertIntoTable, protoreflect.MessageKind},
		},
		"Parameter": {"number": {parameterNumber, protoreflect.Int32Kind}, "column": {parameterColumn, protoreflect.MessageKind}},
	}
	for msg, fs := range fields {
		md := pluginMessage(t, msg)
		for name, want := range fs {
			fd := md.Fields().ByName(protoreflect.Name(name))
			if fd == nil {
				t.Errorf("plugin.%s has no field %s", msg, name)
				continue
			}
			if int(fd.Number()) != want.num || fd.Kind() != want.kind {
				t.Errorf("plugin.%s.%s is %d (%v), decodeRequest reads %d (%v)", msg, name, fd.Number(), fd.Kind(), want.num, want.kind)
			}
		}
	}
}

type protowireField struct {
	num  int
	kind protoreflect.Kind
}

// TestDecodeRequest encodes a request that sets every field tenantc reads,
// with sqlc's own descriptor, and checks what decodeRequest makes of it.
func TestDecodeRequest(t *testing.T) {
	newMsg := func(name string, set map[string]any) *dynamicpb.Message {
		m := dynamicpb.NewMessage(pluginMessage(t, name))
		for field, v := range set {
			fd := m.Descriptor().Fields().ByName(protoreflect.Name(field))
			if fd == nil {
				t.Fatalf("plugin.%s has no field %s", name, field)
			}
			if fd.IsList() {
				l := m.NewField(fd).List()
				switch vs := v.(type) {
				case []string:
					for _, s := range vs {
						l.Append(protoreflect.ValueOfString(s))
					}
				case []*dynamicpb.Message:
					for _, e := range vs {
						l.Append(protoreflect.ValueOfMessage(e))
					}
				}
				m.Set(fd, protoreflect.ValueOfList(l))
				continue
			}
			switch v := v.(type) {
			case *dynamicpb.Message:
				m.Set(fd, protoreflect.ValueOfMessage(v))
			default:
				m.Set(fd, protoreflect.ValueOf(v))
			}
		}
		return m
	}
	ident := func(catalog, schema, name string) *dynamicpb.Message {
		return newMsg("Identifier", map[string]any{"catalog": catalog, "schema": schema, "name": name})
	}
	column := newMsg("Column", map[string]any{
		"name": "total", "not_null": true, "is_array": true, "comment": "sum", "length": int32(-1),
		"is_named_param": true, "is_func_call": true, "scope": "s", "table": ident("", "", "orders"),
		"table_alias": "o", "type": ident("", "pg_catalog", "numeric"), "is_sqlc_slice": true,
		"embed_table": ident("c", "app", "plans"), "original_name": "sum", "unsigned": true, "array_dims": int32(2),
	})
	// An empty identifier is set, and stays distinct from an absent one.
	bare := newMsg("Column", map[string]any{"name": "id", "table": ident("", "", "")})
	req := newMsg("GenerateRequest", map[string]any{
		"sqlc_version": "v1.31.1",
		"catalog": newMsg("Catalog", map[string]any{
			"comment": "ignored", "default_schema": "public", "name": "db",
			"schemas": []*dynamicpb.Message{newMsg("Schema", map[string]any{
				"comment": "user objects", "name": "public",
				"tables": []*dynamicpb.Message{newMsg("Table", map[string]any{
					"rel": ident("", "public", "orders"), "columns": []*dynamicpb.Message{column, bare}, "comment": "the orders",
				})},
				"enums":           []*dynamicpb.Message{newMsg("Enum", map[string]any{"name": "status", "vals": []string{"open", "closed"}, "comment": "state"})},
				"composite_types": []*dynamicpb.Message{newMsg("CompositeType", map[string]any{"name": "money", "comment": "amount"})},
			})},
		}),
		"queries": []*dynamicpb.Message{newMsg("Query", map[string]any{
			"text": "SELECT total FROM orders WHERE id = $1", "name": "GetTotal", "cmd": ":one",
			"columns":  []*dynamicpb.Message{column},
			"params":   []*dynamicpb.Message{newMsg("Parameter", map[string]any{"number": int32(1), "column": bare})},
			"comments": []string{" Total of one order.", ""}, "filename": "orders.sql",
			"insert_into_table": ident("", "", "orders"),
		})},
		"plugin_options": []byte("{}"),
		"settings":       newMsg("Settings", map[string]any{"engine": "postgresql", "schema": []string{"schema.sql"}}),
	})
	data, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRequest(data)
	if err != nil {
		t.Fatal(err)
	}
	wantColumn := &Column{
		Name: "total", NotNull: true, IsArray: true, Comment: "sum", Length: -1,
		IsNamedParam: true, IsFuncCall: true, Scope: "s", Table: &Identifier{Name: "orders"},
		TableAlias: "o", Type: &Identifier{Schema: "pg_catalog", Name: "numeric"}, IsSqlcSlice: true,
		EmbedTable: &Identifier{Catalog: "c", Schema: "app", Name: "plans"}, OriginalName: "sum", Unsigned: true, ArrayDims: 2,
	}
	wantBare := &Column{Name: "id", Table: &Identifier{}}
	want := &Result{
		SQLCVersion: "v1.31.1",
		Catalog: &Catalog{DefaultSchema: "public", Name: "db", Schemas: []*Schema{{
			Comment: "user objects", Name: "public",
			Tables:         []*Table{{Rel: &Identifier{Schema: "public", Name: "orders"}, Columns: []*Column{wantColumn, wantBare}, Comment: "the orders"}},
			Enums:          []*Enum{{Name: "status", Vals: []string{"open", "closed"}, Comment: "state"}},
			CompositeTypes: []*CompositeType{{Name: "money", Comment: "amount"}},
		}}},
		Queries: []*Query{{
			SQL: "SELECT total FROM orders WHERE id = $1", Name: "GetTotal", Cmd: ":one",
			Columns: []*Column{wantColumn}, Params: []*Param{{Number: 1, Column: wantBare}},
			Comments: []string{" Total of one order.", ""}, File: "orders.sql",
			InsertIntoTable: &Identifier{Name: "orders"},
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decodeRequest (-want +got):\n%s", diff)
	}
}

func TestDecodeRequestTruncated(t *testing.T) {
	req := dynamicpb.NewMessage(pluginMessage(t, "GenerateRequest"))
	req.Set(req.Descriptor().Fields().ByName("sqlc_version"), protoreflect.ValueOfString("v1.31.1"))
	data, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeRequest(data[:len(data)-1]); err == nil {
		t.Fatal("decodeRequest of a truncated request succeeded")
	}
}
