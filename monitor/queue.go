package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/warden-nhi/warden"
)

// QueuedSink delivers detections to a sink from a bounded queue on its own
// goroutine, so that a slow or failing receiver (a webhook retrying with
// backoff) never holds up ingestion. When the queue is full the alert is
// not waited for: it is recorded as a dead letter (or, without a
// DeadLetterService, logged and counted as dropped). Start it with
// NewQueuedSink and stop it with Close, which delivers what is queued.
type QueuedSink struct {
	sink        Sink
	name        string // sink name for dead letters, e.g. "webhook"
	target      string // where the sink delivers, for dead letters
	deadLetters warden.DeadLetterService
	logger      *slog.Logger

	ch      chan *warden.Detection
	ctx     context.Context // deliveries; cancelled when Close gives up
	cancel  context.CancelFunc
	done    chan struct{}
	mu      sync.RWMutex // guards closed against sends on a closed channel
	closed  bool
	dropped atomic.Int64
}

// QueueConfig configures a QueuedSink.
type QueueConfig struct {
	Size        int    // queued alerts before overflow (default 1024)
	Name        string // sink name in dead letters (default "alert")
	Target      string // the sink's destination in dead letters (default Name)
	DeadLetters warden.DeadLetterService
	Logger      *slog.Logger
}

// NewQueuedSink starts delivering to sink from a queue.
func NewQueuedSink(sink Sink, cfg QueueConfig) *QueuedSink {
	if cfg.Size <= 0 {
		cfg.Size = 1024
	}
	if cfg.Name == "" {
		cfg.Name = "alert"
	}
	if cfg.Target == "" {
		cfg.Target = cfg.Name
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	q := &QueuedSink{sink: sink, name: cfg.Name, target: cfg.Target, deadLetters: cfg.DeadLetters, logger: cfg.Logger,
		ch: make(chan *warden.Detection, cfg.Size), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go q.run()
	return q
}

func (q *QueuedSink) run() {
	defer close(q.done)
	for d := range q.ch {
		if err := q.sink.Send(q.ctx, d); err != nil {
			q.logger.Error("alert delivery failed", "sink", q.name, "detection", d.ID, "err", err)
		}
	}
}

// ErrQueueClosed is returned by Send after Close.
var ErrQueueClosed = errors.New("alert queue closed")

// Send queues d without waiting for its delivery. A full queue turns the
// alert into a dead letter at once; an error means it was neither queued
// nor recorded.
func (q *QueuedSink) Send(ctx context.Context, d *warden.Detection) error {
	cp := *d // the caller may go on changing its detection
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		return ErrQueueClosed
	}
	select {
	case q.ch <- &cp:
		q.mu.RUnlock()
		return nil
	default:
	}
	q.mu.RUnlock()
	q.dropped.Add(1)
	if q.deadLetters == nil {
		return fmt.Errorf("alert queue of %s full (%d): detection %s dropped", q.name, cap(q.ch), d.ID)
	}
	body, err := Payload(d, FormatWarden, "")
	if err != nil {
		return err
	}
	dl := &warden.DeadLetter{Sink: q.name, Target: q.target, DetectionID: d.ID, Payload: body, LastError: fmt.Sprintf("alert queue full (%d)", cap(q.ch))}
	if err := q.deadLetters.RecordDeadLetter(context.WithoutCancel(ctx), dl); err != nil {
		return fmt.Errorf("alert queue of %s full: record dead letter: %w", q.name, err)
	}
	return nil
}

// Name is the sink's name, as in its dead letters.
func (q *QueuedSink) Name() string { return q.name }

// Overflowed is how many alerts found the queue full.
func (q *QueuedSink) Overflowed() int64 { return q.dropped.Load() }

// Close stops taking alerts and delivers those queued until ctx ends;
// then the remaining deliveries run with a cancelled context, so that a
// webhook records each as a dead letter instead of retrying.
func (q *QueuedSink) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		q.cancel()
		return nil
	case <-ctx.Done():
		left := len(q.ch)
		q.cancel()
		<-q.done
		return fmt.Errorf("alert queue of %s: gave up on %d queued alerts: %w", q.name, left, ctx.Err())
	}
}
