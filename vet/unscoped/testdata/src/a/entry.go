package a

import (
	"context"
	"io"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func entryPoints(ctx context.Context, conn *pgx.Conn, r io.Reader, w io.Writer) {
	pc := conn.PgConn()
	pc.CopyFrom(ctx, r, "COPY tickets (title) FROM STDIN")       // want `table "tickets" is tenant-scoped`
	pc.CopyTo(ctx, w, "COPY (SELECT id FROM tickets) TO STDOUT") // want `table "tickets" is tenant-scoped`
	pc.Prepare(ctx, "get", "SELECT id FROM tickets", nil)        // want `table "tickets" is tenant-scoped`
	pc.CopyTo(ctx, w, "COPY plans TO STDOUT")                    // shared
	var pb pgconn.Batch
	pb.ExecParams("DELETE FROM tickets", nil, nil, nil, nil) // want `table "tickets" is tenant-scoped`
	pb.ExecPrepared("delete_tickets", nil, nil, nil)         // a statement name, not SQL
	pc.ExecBatch(ctx, &pb)

	b := &pgx.Batch{}
	b.QueuedQueries = append(b.QueuedQueries, &pgx.QueuedQuery{SQL: "DELETE FROM tickets"}) // want `table "tickets" is tenant-scoped`
	qq := b.Queue("SELECT id FROM plans")
	qq.SQL = "DELETE FROM tickets" // want `table "tickets" is tenant-scoped`
	qq.SQL = "SELECT id FROM plans"
	other := &pgx.Batch{}
	other.QueuedQueries = append(other.QueuedQueries, b.Queue("UPDATE tickets SET title = ''")) // want `table "tickets" is tenant-scoped`
	_ = pgx.QueuedQuery{SQL: "SELECT id FROM plans", Arguments: nil}
	conn.SendBatch(ctx, other)
}

func requeue(ctx context.Context, conn *pgx.Conn, b *pgx.Batch) {
	b2 := &pgx.Batch{}
	for _, qq := range b.QueuedQueries {
		b2.Queue(qq.SQL, qq.Arguments...) // want `table "tickets" is tenant-scoped`
	}
	conn.SendBatch(ctx, b2)
}
