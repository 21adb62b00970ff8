package queries

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// The sqlc engine hands its analysis to a codegen plugin as a protobuf
// plugin.GenerateRequest (sqlc's protos/plugin/codegen.proto). tenantc is
// that plugin: the engine child runs it, it saves the request, and
// decodeRequest reads the part tenantc uses into a Result. The binary
// request of 1,000 queries is 0.5 MB and decodes in a few milliseconds;
// the same request through sqlc's JSON generator is 6.4 MB, and encoding
// and decoding it took longer than the analysis itself.
//
// Field numbers are those of the sqlc version tenantc embeds;
// TestRequestFieldNumbers checks each against the descriptor that sqlc
// registers. Unknown fields are skipped, as protobuf requires.

// Field numbers, by message.
const (
	requestCatalog     = 2
	requestQueries     = 3
	requestSQLCVersion = 4

	catalogComment       = 1
	catalogDefaultSchema = 2
	catalogName          = 3
	catalogSchemas       = 4

	schemaComment        = 1
	schemaName           = 2
	schemaTables         = 3
	schemaEnums          = 4
	schemaCompositeTypes = 5

	compositeTypeName    = 1
	compositeTypeComment = 2

	enumName    = 1
	enumVals    = 2
	enumComment = 3

	tableRel     = 1
	tableColumns = 2
	tableComment = 3

	identifierCatalog = 1
	identifierSchema  = 2
	identifierName    = 3

	columnName         = 1
	columnNotNull      = 3
	columnIsArray      = 4
	columnComment      = 5
	columnLength       = 6
	columnIsNamedParam = 7
	columnIsFuncCall   = 8
	columnScope        = 9
	columnTable        = 10
	columnTableAlias   = 11
	columnType         = 12
	columnIsSqlcSlice  = 13
	columnEmbedTable   = 14
	columnOriginalName = 15
	columnUnsigned     = 16
	columnArrayDims    = 17

	queryText            = 1
	queryName            = 2
	queryCmd             = 3
	queryColumns         = 4
	queryParams          = 5
	queryComments        = 6
	queryFilename        = 7
	queryInsertIntoTable = 8

	parameterNumber = 1
	parameterColumn = 2
)

// decodeRequest decodes a plugin.GenerateRequest.
func decodeRequest(b []byte) (*Result, error) {
	res := &Result{}
	err := fields(b, func(num protowire.Number, v value) error {
		switch num {
		case requestCatalog:
			res.Catalog = &Catalog{}
			return decodeCatalog(v.bytes, res.Catalog)
		case requestQueries:
			q := &Query{}
			res.Queries = append(res.Queries, q)
			return decodeQuery(v.bytes, q)
		case requestSQLCVersion:
			res.SQLCVersion = string(v.bytes)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decoding the sqlc engine's request: %w", err)
	}
	return res, nil
}

func decodeCatalog(b []byte, c *Catalog) error {
	return fields(b, func(num protowire.Number, v value) error {
		switch num {
		case catalogDefaultSchema:
			c.DefaultSchema = string(v.bytes)
		case catalogName:
			c.Name = string(v.bytes)
		case catalogSchemas:
			s := &Schema{}
			c.Schemas = append(c.Schemas, s)
			return decodeSchema(v.bytes, s)
		}
		return nil
	})
}

func decodeSchema(b []byte, s *Schema) error {
	return fields(b, func(num protowire.Number, v value) error {
		switch num {
		case schemaComment:
			s.Comment = string(v.bytes)
		case schemaName:
			s.Name = string(v.bytes)
		case schemaTables:
			t := &Table{}
			s.Tables = append(s.Tables, t)
			return decodeTable(v.bytes, t)
		case schemaEnums:
			e := &Enum{}
			s.Enums = append(s.Enums, e)
			return decodeEnum(v.bytes, e)
		case schemaCompositeTypes:
			ct := &CompositeType{}
			s.CompositeTypes = append(s.CompositeTypes, ct)
			return fields(v.bytes, func(num protowire.Number, v value) error {
				switch num {
				case compositeTypeName:
					ct.Name = string(v.bytes)
				case compositeTypeComment:
					ct.Comment = string(v.bytes)
				}
				return nil
			})
		}
		return nil
	})
}

func decodeEnum(b []byte, e *Enum) error {
	return fields(b, func(num protowire.Number, v value) error {
		switch num {
		case enumName:
			e.Name = string(v.bytes)
		case enumVals:
			e.Vals = append(e.Vals, string(v.bytes))
		case enumComment:
			e.Comment = string(v.bytes)
		}
		return nil
	})
}

func decodeTable(b []byte, t *Table) error {
	return fields(b, func(num protowire.Number, v value) error {
		switch num {
		case tableRel:
			t.Rel = &Identifier{}
			return decodeIdentifier(v.bytes, t.Rel)
		case tableColumns:
			c := &Column{}
			t.Columns = append(t.Columns, c)
			return decodeColumn(v.bytes, c)
		case tableComment:
			t.Comment = string(v.bytes)
		}
		return nil
	})
}

func decodeIdentifier(b []byte, id *Identifier) error {
	return fields(b, func(num protowire.Number, v value) error {
		switch num {
		case identifierCatalog:
			id.Catalog = string(v.bytes)
		case identifierSchema:
			id.Schema = string(v.bytes)
		case identifierName:
			id.Name = string(v.bytes)
		}
		return nil
	})
}

func decodeColumn(b []byte, c *Column) error {
	ident := func(v value) (*Identifier, error) {
		id := &Identifier{}
		return id, decodeIdentifier(v.bytes, id)
	}
	return fields(b, func(num protowire.Number, v value) (err error) {
		switch num {
		case columnName:
			c.Name = string(v.bytes)
		case columnNotNull:
			c.NotNull = v.varint != 0
		case columnIsArray:
			c.IsArray = v.varint != 0
		case columnComment:
			c.Comment = string(v.bytes)
		case columnLength:
			c.Length = int(int32(v.varint))
		case columnIsNamedParam:
			c.IsNamedParam = v.varint != 0
		case columnIsFuncCall:
			c.IsFuncCall = v.varint != 0
		case columnScope:
			c.Scope = string(v.bytes)
		case columnTable:
			c.Table, err = ident(v)
		case columnTableAlias:
			c.TableAlias = string(v.bytes)
		case columnType:
			c.Type, err = ident(v)
		case columnIsSqlcSlice:
			c.IsSqlcSlice = v.varint != 0
		case columnEmbedTable:
			c.EmbedTable, err = ident(v)
		case columnOriginalName:
			c.OriginalName = string(v.bytes)
		case columnUnsigned:
			c.Unsigned = v.varint != 0
		case columnArrayDims:
			c.ArrayDims = int(int32(v.varint))
		}
		return err
	})
}

func decodeQuery(b []byte, q *Query) error {
	return fields(b, func(num protowire.Number, v value) error {
		switch num {
		case queryText:
			q.SQL = string(v.bytes)
		case queryName:
			q.Name = string(v.bytes)
		case queryCmd:
			q.Cmd = string(v.bytes)
		case queryColumns:
			c := &Column{}
			q.Columns = append(q.Columns, c)
			return decodeColumn(v.bytes, c)
		case queryParams:
			p := &Param{}
			q.Params = append(q.Params, p)
			return fields(v.bytes, func(num protowire.Number, v value) error {
				switch num {
				case parameterNumber:
					p.Number = int(int32(v.varint))
				case parameterColumn:
					p.Column = &Column{}
					return decodeColumn(v.bytes, p.Column)
				}
				return nil
			})
		case queryComments:
			q.Comments = append(q.Comments, string(v.bytes))
		case queryFilename:
			q.File = string(v.bytes)
		case queryInsertIntoTable:
			q.InsertIntoTable = &Identifier{}
			return decodeIdentifier(v.bytes, q.InsertIntoTable)
		}
		return nil
	})
}

// value is one field's value: varint for the varint wire type, bytes for
// the length-delimited one (strings, bytes, messages); fixed-size values
// are skipped, as no field tenantc reads has them.
type value struct {
	varint uint64
	bytes  []byte
}

// fields calls f for each field of the message encoded in b, in order.
func fields(b []byte, f func(protowire.Number, value) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v value
		switch typ {
		case protowire.VarintType:
			v.varint, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v.bytes, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, v); err != nil {
			return err
		}
	}
	return nil
}
