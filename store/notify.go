package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/warden-nhi/warden"
)

// Change notifications. Every audited change is also a warden.Change
// (audit target type and id). It is published to this process's
// subscribers after its transaction commits, and on PostgreSQL also sent
// with pg_notify inside the transaction, so that every replica's listener
// (StartChangeListener) receives it when, and only if, the change commits.
// Caches built on the feed therefore never see a change before it is
// readable, and never see one that rolled back.

// maxChangesPerTx bounds the notifications of one transaction; a bulk
// change (an import) is announced as one Change per target type with an
// empty id, meaning "any object of this type".
const maxChangesPerTx = 64

// changeHub fans committed changes out to subscribers. Its zero value is
// ready to use.
type changeHub struct {
	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	pending map[*sql.Tx][]warden.Change

	channelOnce sync.Once
	channel     string
	channelErr  error
}

type subscriber struct {
	ch       chan warden.Change
	overflow bool // a change was dropped: send "*" when there is room
}

var _ warden.ChangeFeed = (*DB)(nil)

// SubscribeChanges implements warden.ChangeFeed. On PostgreSQL, changes
// from other replicas arrive only while StartChangeListener runs.
func (db *DB) SubscribeChanges(ctx context.Context) <-chan warden.Change {
	s := &subscriber{ch: make(chan warden.Change, 1024)}
	h := &db.changes
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*subscriber]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	go func() {
		<-ctx.Done()
		h.mu.Lock()
		delete(h.subs, s)
		close(s.ch)
		h.mu.Unlock()
	}()
	return s.ch
}

// broadcast delivers changes to every subscriber without ever blocking: a
// subscriber whose buffer is full gets "*" (drop every cache) later.
func (h *changeHub) broadcast(changes []warden.Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.overflow {
			select {
			case s.ch <- warden.Change{Type: "*"}:
				s.overflow = false
			default:
				continue
			}
		}
		for _, c := range changes {
			select {
			case s.ch <- c:
			default:
				s.overflow = true
			}
		}
	}
}

// changesOf turns audit entries into the changes to announce.
func changesOf(entries []auditEntry) []warden.Change {
	seen := make(map[warden.Change]bool, len(entries))
	var out []warden.Change
	for _, e := range entries {
		c := warden.Change{Type: e.targetType, ID: e.targetID}
		if len(c.ID) > 256 {
			c.ID = ""
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	if len(out) <= maxChangesPerTx {
		return out
	}
	types := map[string]bool{}
	out = out[:0]
	for _, e := range entries {
		if !types[e.targetType] {
			types[e.targetType] = true
			out = append(out, warden.Change{Type: e.targetType})
		}
	}
	return out
}

// queueChanges is called by appendAudit inside tx: it sends the changes
// with pg_notify (PostgreSQL) and keeps them for publishCommitted.
func (db *DB) queueChanges(ctx context.Context, tx *sql.Tx, entries []auditEntry) error {
	changes := changesOf(entries)
	if db.dialect.name() == "postgres" {
		channel, err := db.changeChannel(ctx)
		if err != nil {
			return err
		}
		for _, c := range changes {
			payload, _ := json.Marshal(c)
			if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, string(payload)); err != nil {
				return fmt.Errorf("notify change: %w", err)
			}
		}
	}
	h := &db.changes
	h.mu.Lock()
	if h.pending == nil {
		h.pending = map[*sql.Tx][]warden.Change{}
	}
	h.pending[tx] = append(h.pending[tx], changes...)
	h.mu.Unlock()
	return nil
}

// publishCommitted announces tx's changes in this process once it has
// committed; committed false discards them.
func (db *DB) publishCommitted(tx *sql.Tx, committed bool) {
	h := &db.changes
	h.mu.Lock()
	changes, ok := h.pending[tx]
	delete(h.pending, tx)
	h.mu.Unlock()
	if ok && committed {
		h.broadcast(changes)
	}
}

// changeChannel is the PostgreSQL notification channel of this database
// and schema: replicas sharing a schema share it, and stores in other
// schemas of the same database (tests) do not hear each other.
func (db *DB) changeChannel(ctx context.Context) (string, error) {
	h := &db.changes
	h.channelOnce.Do(func() {
		var schema string
		if err := db.db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			h.channelErr = fmt.Errorf("read current schema: %w", err)
			return
		}
		sum := sha256.Sum256([]byte(schema))
		h.channel = "warden_changes_" + hex.EncodeToString(sum[:6])
	})
	return h.channel, h.channelErr
}

// StartChangeListener receives the changes committed by every replica
// sharing this PostgreSQL database, on a dedicated connection (LISTEN), and
// publishes them to this process's subscribers until ctx ends. After a lost
// connection it reconnects and publishes "*", since changes may have been
// missed. On SQLite, where only one process writes, it does nothing.
func (db *DB) StartChangeListener(ctx context.Context, logger *slog.Logger) error {
	if db.dialect.name() != "postgres" {
		return nil
	}
	channel, err := db.changeChannel(ctx)
	if err != nil {
		return err
	}
	conn, err := db.listen(ctx, channel)
	if err != nil {
		return err
	}
	go func() {
		backoff := 100 * time.Millisecond
		for {
			err := db.receive(ctx, conn)
			conn.Close(context.WithoutCancel(ctx))
			if ctx.Err() != nil {
				return
			}
			if logger != nil {
				logger.Warn("change listener lost its connection; reconnecting", "error", err)
			}
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(backoff):
				}
				conn, err = db.listen(ctx, channel)
				if err == nil {
					backoff = 100 * time.Millisecond
					break
				}
				backoff = min(2*backoff, 5*time.Second)
			}
			db.changes.broadcast([]warden.Change{{Type: "*"}})
		}
	}()
	return nil
}

func (db *DB) listen(ctx context.Context, channel string) (*pgx.Conn, error) {
	cfg, err := pgconnConfig(db.dsn)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("change listener: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		conn.Close(ctx)
		return nil, fmt.Errorf("change listener: listen: %w", err)
	}
	return conn, nil
}

// receive publishes notifications until the connection fails or ctx ends.
func (db *DB) receive(ctx context.Context, conn *pgx.Conn) error {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var c warden.Change
		if json.Unmarshal([]byte(n.Payload), &c) != nil || c.Type == "" {
			c = warden.Change{Type: "*"}
		}
		db.changes.broadcast([]warden.Change{c})
	}
}
