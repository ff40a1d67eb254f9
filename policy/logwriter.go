package policy

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	"github.com/google/uuid"

	"github.com/warden-nhi/warden"
)

// Decision-log batching: the decision path only appends to a buffer under
// a mutex — it wakes no goroutine, so a logged decision costs the request
// no context switch; one goroutine takes the buffer every flush interval
// (or as soon as it holds a full batch), encodes and writes it, so no
// decision waits for the database. When the buffer is full (the database is
// slower than the decisions) records are dropped and counted rather than
// slowing every request.
const (
	logQueueSize = 8192
	logBatchSize = 500
	// DefaultLogFlushInterval is how long a logged decision waits at most
	// before its batch is written.
	DefaultLogFlushInterval = 100 * time.Millisecond
	// decisionLastUse is how far an identity's last-used time may lag
	// behind its latest logged decision: a principal deciding hundreds of
	// times a second then costs one row update a minute, not one a batch.
	decisionLastUse = time.Minute
)

type pendingDecision struct {
	record    *warden.DecisionRecord
	request   cedar.Request
	principal *identityEntry // the enriched principal; nil when it is not an identity
	entities  types.EntityMap
}

// LoggedRequest is the form of a logged decision's request: everything the
// decision was computed from (the enriched principal among the entities),
// so that replay evaluates candidate policies on the same facts.
type LoggedRequest struct {
	Principal types.EntityUID `json:"principal"`
	Action    types.EntityUID `json:"action"`
	Resource  types.EntityUID `json:"resource"`
	Context   types.Record    `json:"context"`
	Entities  types.EntityMap `json:"entities"`
}

type decisionWriter struct {
	log    warden.DecisionLog
	events warden.EventService
	// both is set when the log and the event store are one store that
	// writes decisions and their events in one transaction.
	both       warden.DecisionActivityLog
	flushEvery time.Duration
	logger     *slog.Logger
	mu         sync.Mutex
	pending    []*pendingDecision // appended by enqueue, taken by run
	full       chan struct{}      // signalled (never blocking) when pending holds a batch
	dropped    atomic.Int64
	done       sync.WaitGroup
	started    atomic.Bool
}

func newDecisionWriter(log warden.DecisionLog, events warden.EventService, logger *slog.Logger) *decisionWriter {
	w := &decisionWriter{log: log, events: events, logger: logger, full: make(chan struct{}, 1), flushEvery: DefaultLogFlushInterval}
	if both, ok := log.(warden.DecisionActivityLog); ok && events != nil && any(both) == any(events) {
		w.both = both
	}
	return w
}

func (w *decisionWriter) enqueue(p *pendingDecision) {
	w.mu.Lock()
	if len(w.pending) >= logQueueSize {
		w.mu.Unlock()
		if w.dropped.Add(1)%1000 == 1 {
			w.logger.Warn("decision log queue is full; dropping decision records", "dropped", w.dropped.Load())
		}
		return
	}
	w.pending = append(w.pending, p)
	n := len(w.pending)
	w.mu.Unlock()
	if n == logBatchSize {
		select {
		case w.full <- struct{}{}:
		default:
		}
	}
}

// take removes and returns everything pending.
func (w *decisionWriter) take() []*pendingDecision {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.pending
	w.pending = make([]*pendingDecision, 0, max(len(out), logBatchSize))
	return out
}

// flush writes what is pending in batches of at most logBatchSize. The
// writes are not cancelled with ctx: a batch once taken is written whole,
// and a context without cancellation spares database/sql and the SQLite
// driver a watcher goroutine per transaction and per statement.
func (w *decisionWriter) flush(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	all := w.take()
	for start := 0; start < len(all); start += logBatchSize {
		w.write(ctx, all[start:min(start+logBatchSize, len(all))])
	}
}

// run writes batches until ctx ends, then writes what is still pending.
func (w *decisionWriter) run(ctx context.Context) {
	w.done.Add(1)
	w.started.Store(true)
	defer w.done.Done()
	tick := time.NewTicker(w.flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-w.full:
		case <-tick.C:
		case <-ctx.Done():
			w.flush(ctx)
			return
		}
		w.flush(ctx)
	}
}

// wait blocks until run has written what was pending.
func (w *decisionWriter) wait() {
	if w.started.Load() {
		w.done.Wait()
	}
}

func (w *decisionWriter) write(ctx context.Context, batch []*pendingDecision) {
	records := make([]*warden.DecisionRecord, len(batch))
	events := make([]*warden.Event, 0, len(batch))
	for i, p := range batch {
		b, err := encodeLoggedRequest(p)
		if err != nil {
			w.logger.Warn("encode a logged decision's request", "decision", p.record.ID, "error", err)
			b = []byte("{}")
		}
		p.record.Request = b
		records[i] = p.record
		events = append(events, decisionEvent(p))
	}
	activity := warden.ActivityBatch{Events: events, LastUseGranularity: decisionLastUse}
	switch {
	case w.both != nil:
		if err := w.both.RecordDecisionActivity(ctx, records, activity); err != nil {
			w.logger.Error("write decision log", "records", len(records), "error", err)
		}
		return
	case w.log != nil:
		if err := w.log.RecordDecisions(ctx, records); err != nil {
			w.logger.Error("write decision log", "records", len(records), "error", err)
		}
	}
	if w.events == nil {
		return
	}
	var err error
	if rec, ok := w.events.(warden.ActivityRecorder); ok {
		_, err = rec.RecordActivity(ctx, activity)
	} else {
		_, err = w.events.RecordEvents(ctx, events)
	}
	if err != nil {
		w.logger.Error("record decision events", "events", len(events), "error", err)
	}
}

// loggedRequestJSON is LoggedRequest with its entities already encoded, so
// that a principal's entity is encoded once per cache entry, not once per
// logged decision.
type loggedRequestJSON struct {
	Principal types.EntityUID   `json:"principal"`
	Action    types.EntityUID   `json:"action"`
	Resource  types.EntityUID   `json:"resource"`
	Context   types.Record      `json:"context"`
	Entities  []json.RawMessage `json:"entities"`
}

// encodeLoggedRequest encodes a logged decision's request in the form
// LoggedRequest decodes.
func encodeLoggedRequest(p *pendingDecision) ([]byte, error) {
	out := loggedRequestJSON{Principal: p.request.Principal, Action: p.request.Action, Resource: p.request.Resource,
		Context: recordOrEmpty(p.request.Context), Entities: make([]json.RawMessage, 0, len(p.entities)+1)}
	if p.principal != nil {
		b, err := p.principal.entityJSON()
		if err != nil {
			return nil, err
		}
		out.Entities = append(out.Entities, b)
	}
	others := make([]types.Entity, 0, len(p.entities))
	for uid, ent := range p.entities {
		if p.principal == nil || uid != p.principal.entity.UID { // the enriched principal replaces what the request said of it
			others = append(others, ent)
		}
	}
	slices.SortFunc(others, func(a, b types.Entity) int { return strings.Compare(a.UID.String(), b.UID.String()) })
	for _, ent := range others {
		b, err := json.Marshal(ent)
		if err != nil {
			return nil, err
		}
		out.Entities = append(out.Entities, b)
	}
	return json.Marshal(out)
}

func recordOrEmpty(v types.Value) types.Record {
	if r, ok := v.(types.Record); ok {
		return r
	}
	return types.Record{}
}

// decisionEvent is a decision as an activity event for monitoring.
func decisionEvent(p *pendingDecision) *warden.Event {
	r := p.record
	ev := &warden.Event{
		ID: uuid.Must(uuid.NewV7()).String(), Time: r.Time, Source: "warden-pdp", RawID: r.ID,
		SourceRef: "decision-log", IdentityID: r.IdentityID, Provider: warden.ProviderWarden,
		Principal: r.Principal.ID, Action: r.Action.ID, Resource: r.Resource.Type + "::" + r.Resource.ID,
		Outcome: warden.OutcomeAllow,
	}
	if r.Decision != "allow" {
		ev.Outcome = warden.OutcomeDeny
	}
	ctx := recordOrEmpty(p.request.Context)
	if v, ok := ctx.Get("source_ip"); ok {
		if s, ok := v.(types.String); ok {
			ev.SourceIP = string(s)
		}
	}
	if tok, ok := ctx.Get("token"); ok {
		if rec, ok := tok.(types.Record); ok {
			if jti, ok := rec.Get("jti"); ok {
				if s, ok := jti.(types.String); ok {
					ev.CredentialID = string(s)
				}
			}
		}
	}
	return ev
}
