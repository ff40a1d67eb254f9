package monitor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/warden-nhi/warden"
)

var _ warden.EventIngester = (*Pipeline)(nil)

// Pipeline joins the parts of monitoring: events are stored (Activity),
// run through the Engine, and each detection is answered by the Responder,
// stored (Detections) and sent to the Alerts sinks. Nil parts are skipped,
// which is how offline mode runs without a database. Safe for concurrent
// use.
type Pipeline struct {
	Engine     *Engine
	Activity   warden.ActivityRecorder
	Detections warden.DetectionService
	Responder  *Responder
	Alerts     []Sink
	Logger     *slog.Logger

	mu sync.Mutex
}

// MaxIngestBatch bounds one IngestEvents call.
const MaxIngestBatch = 10000

// IngestEvents validates, stores and monitors a batch of events and
// handles the detections released by it; see warden.EventIngester.
func (p *Pipeline) IngestEvents(ctx context.Context, events []*warden.Event) (warden.IngestResult, error) {
	var res warden.IngestResult
	if len(events) > MaxIngestBatch {
		return res, warden.FieldErrorf("events", "at most %d events per batch, got %d", MaxIngestBatch, len(events))
	}
	for i, e := range events {
		if err := CheckEvent(e); err != nil {
			f := fmt.Sprintf("events[%d].%s", i, warden.ErrorField(err))
			return res, warden.FieldErrorf(f, "%s: %s", f, warden.ErrorMessage(err))
		}
	}
	return p.monitor(ctx, events, true)
}

// Monitor runs events that are already stored (the decision point's
// decisions, which it records itself) through detection and response,
// without storing them again. Events that are not valid monitor input
// (no principal) are skipped and not counted.
func (p *Pipeline) Monitor(ctx context.Context, events []*warden.Event) (warden.IngestResult, error) {
	valid := make([]*warden.Event, 0, len(events))
	for _, e := range events {
		cp := *e
		if CheckEvent(&cp) == nil {
			valid = append(valid, &cp)
		}
	}
	if len(valid) == 0 {
		return warden.IngestResult{}, nil
	}
	return p.monitor(ctx, valid, false)
}

// monitor runs checked events through the engine, storing them first
// when record is set, and handles the detections released.
func (p *Pipeline) monitor(ctx context.Context, events []*warden.Event, record bool) (warden.IngestResult, error) {
	var res warden.IngestResult
	if record && p.Activity != nil {
		if _, err := p.Activity.RecordActivity(ctx, warden.ActivityBatch{Events: events}); err != nil {
			return res, fmt.Errorf("ingest events: %w", err)
		}
	}
	sorted := append([]*warden.Event(nil), events...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Time.Before(sorted[j].Time) })
	p.mu.Lock()
	if err := p.Engine.Preload(ctx, sorted); err != nil {
		p.mu.Unlock()
		return res, err
	}
	before := p.Engine.Stats()
	var found []*warden.Detection
	for _, e := range sorted {
		found = append(found, p.Engine.Observe(e)...)
	}
	after := p.Engine.Stats()
	err := p.Engine.Save(ctx)
	p.mu.Unlock()
	if err != nil {
		return res, err
	}
	res.Duplicates = int(after.Duplicates - before.Duplicates)
	res.Events = len(events) - res.Duplicates
	res.Detections = len(found)
	return res, p.Handle(ctx, found)
}

// Tick releases events held longer than the lateness window and handles
// their detections; call it periodically (Run does).
func (p *Pipeline) Tick(ctx context.Context, now time.Time) error {
	p.mu.Lock()
	found := p.Engine.Tick(now)
	err := p.Engine.Save(ctx)
	p.mu.Unlock()
	if err != nil {
		return err
	}
	return p.Handle(ctx, found)
}

// Flush releases every event still held for ordering and handles their
// detections: the end of a finite input (offline mode) or of a server.
func (p *Pipeline) Flush(ctx context.Context) error {
	p.mu.Lock()
	found := p.Engine.Flush()
	err := p.Engine.Save(ctx)
	p.mu.Unlock()
	if err != nil {
		return err
	}
	return p.Handle(ctx, found)
}

// Stats returns the engine's counters; safe while events are ingested.
func (p *Pipeline) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Engine.Stats()
}

// Run ticks every interval until ctx ends.
func (p *Pipeline) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if err := p.Tick(ctx, now); err != nil {
				p.logger().Error("monitor tick", "err", err)
			}
		}
	}
}

// Handle answers detections: response playbook, storage, alerts. Alert
// failures are logged, not returned: the detection is stored regardless.
func (p *Pipeline) Handle(ctx context.Context, ds []*warden.Detection) error {
	if len(ds) == 0 {
		return nil
	}
	alert := make([]bool, len(ds))
	for i, d := range ds {
		if d.ID == "" {
			d.ID = uuid.Must(uuid.NewV7()).String()
		}
		a, err := p.Responder.Respond(ctx, d)
		if err != nil {
			return err
		}
		alert[i] = a
	}
	if p.Detections != nil {
		for start := 0; start < len(ds); start += warden.MaxDetectionsBatch {
			if err := p.Detections.RecordDetections(ctx, ds[start:min(start+warden.MaxDetectionsBatch, len(ds))]); err != nil {
				return fmt.Errorf("record detections: %w", err)
			}
		}
	} else {
		now := time.Now().UTC()
		for _, d := range ds {
			d.DetectedAt = now
		}
	}
	for i, d := range ds {
		if !alert[i] {
			continue
		}
		for _, s := range p.Alerts {
			if err := s.Send(ctx, d); err != nil {
				p.logger().Error("alert", "detection", d.ID, "err", err)
			}
		}
	}
	return nil
}

func (p *Pipeline) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return p.Logger
}
