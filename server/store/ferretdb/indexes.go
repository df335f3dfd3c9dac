package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// How often new collections and indexes are looked for: an index made through the MongoDB
// protocol gets its mirror within this time.
const mirrorInterval = 2 * time.Second

// mirrorIndexes gives every top-level field of every FerretDB index a GIN index on the
// expression FerretDB filters with (`_jsonb->'field' @> value`). FerretDB's own indexes are btree
// on that expression, which PostgreSQL cannot use for @>, so without these every pushed-down
// equality is a sequential scan. FerretDB pushes down no filter on a dotted path: those get none.
// FerretDB does not know about these indexes; they live in its tables and are dropped with them.
func mirrorIndexes(ctx context.Context, url string, logger *slog.Logger) {
	var conn *pgx.Conn // kept between rounds, made again after a failure
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		var err error
		if conn == nil {
			conn, err = pgx.Connect(ctx, url)
		}
		if err == nil {
			err = mirrorOnce(ctx, conn)
		}
		if err != nil {
			if ctx.Err() == nil {
				logger.Warn("mirroring indexes failed", slog.String("error", err.Error()))
			}
			if conn != nil {
				conn.Close(context.Background())
				conn = nil
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(mirrorInterval):
		}
	}
}

type indexedField struct {
	Schema, Table, Field string
}

func mirrorOnce(ctx context.Context, conn *pgx.Conn) error {
	fields, err := indexedFields(ctx, conn)
	if err != nil {
		return err
	}
	existing, err := existingIndexes(ctx, conn)
	if err != nil {
		return err
	}
	for _, f := range fields {
		name := mirrorName(f)
		if existing[f.Schema+"."+name] {
			continue
		}
		if _, err := conn.Exec(ctx, createStatement(f, name)); err != nil {
			return fmt.Errorf("%s.%s(%s): %w", f.Schema, f.Table, f.Field, err)
		}
		// A new expression index has no statistics until the table is analyzed.
		if _, err := conn.Exec(ctx, `ANALYZE `+pgx.Identifier{f.Schema, f.Table}.Sanitize()); err != nil {
			return err
		}
	}
	return nil
}

// indexedFields reads FerretDB's metadata table of every database (a schema each).
func indexedFields(ctx context.Context, conn *pgx.Conn) ([]indexedField, error) {
	rows, err := conn.Query(ctx, `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = '_ferretdb_database_metadata'`)
	if err != nil {
		return nil, err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(schemas) == 0 {
		return nil, err
	}
	selects := make([]string, len(schemas))
	for i, schema := range schemas {
		selects[i] = fmt.Sprintf(`SELECT %s::text AS schema, _jsonb->>'table' AS table, index->'key' AS key
			FROM %s, jsonb_array_elements(_jsonb->'indexes') AS index`,
			quoteLiteral(schema), pgx.Identifier{schema, "_ferretdb_database_metadata"}.Sanitize())
	}
	query := `SELECT DISTINCT schema, "table", field FROM (` + strings.Join(selects, " UNION ALL ") + `) AS indexes,
		jsonb_object_keys(key) AS field WHERE field <> '$s' AND field NOT LIKE '%.%'`
	rows, err = conn.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[indexedField])
}

func existingIndexes(ctx context.Context, conn *pgx.Conn) (map[string]bool, error) {
	rows, err := conn.Query(ctx, `SELECT schemaname || '.' || indexname FROM pg_indexes WHERE indexname LIKE '%\_gin\_%'`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	existing := make(map[string]bool, len(names))
	for _, name := range names {
		existing[name] = true
	}
	return existing, err
}

// mirrorName is short enough for PostgreSQL's 63-byte names and stable across starts.
func mirrorName(f indexedField) string {
	hash := sha256.Sum256([]byte(f.Field))
	table := f.Table
	if len(table) > 40 {
		table = table[:40]
	}
	return table + "_gin_" + hex.EncodeToString(hash[:6])
}

// createStatement matches FerretDB's filter expression exactly.
func createStatement(f indexedField, name string) string {
	return fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING gin ((_jsonb -> %s))`,
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{f.Schema, f.Table}.Sanitize(), quoteLiteral(f.Field))
}

func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
