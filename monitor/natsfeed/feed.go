// Package natsfeed feeds activity events from a NATS JetStream subject to
// warden's monitor: each message holds JSON Lines of warden events or
// CloudTrail records (plain or gzip), read as monitor.ReadEvents reads a
// file. Messages are pulled in batches through a durable consumer, so
// several warden replicas share the work and a restart resumes where the
// last acknowledged message left off.
package natsfeed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/monitor"
)

// Config configures a Feed. URL, Subject and Ingester are required.
type Config struct {
	URL     string // nats://host:4222
	Subject string // e.g. warden.events
	// Stream (WARDEN_EVENTS) is created for Subject when missing;
	// Durable (warden-monitor) names the consumer the replicas share.
	Stream   string
	Durable  string
	Ingester warden.EventIngester
	// Batch (256) messages are pulled and ingested at once, waiting at
	// most MaxWait (1 s) for them.
	Batch   int
	MaxWait time.Duration
	// MaxDeliver (5) attempts before JetStream stops redelivering a message
	// that could not be stored.
	MaxDeliver int
	Logger     *slog.Logger
}

// Feed consumes a subject until its context ends.
type Feed struct {
	cfg  Config
	nc   *nats.Conn
	cons jetstream.Consumer
}

// Open connects, makes sure the stream and the durable consumer exist and
// returns the feed; Run consumes.
func Open(ctx context.Context, cfg Config) (*Feed, error) {
	if cfg.URL == "" || cfg.Subject == "" || cfg.Ingester == nil {
		return nil, errors.New("natsfeed: URL, Subject and Ingester are required")
	}
	if cfg.Stream == "" {
		cfg.Stream = "WARDEN_EVENTS"
	}
	if cfg.Durable == "" {
		cfg.Durable = "warden-monitor"
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 256
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = time.Second
	}
	if cfg.MaxDeliver <= 0 {
		cfg.MaxDeliver = 5
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	nc, err := nats.Connect(cfg.URL, nats.Name("warden-monitor"), nats.Timeout(5*time.Second), nats.MaxReconnects(-1))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS %s: %w", cfg.URL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream: %w", err)
	}
	stream, err := js.Stream(ctx, cfg.Stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		stream, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: cfg.Stream, Subjects: []string{cfg.Subject}})
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream stream %s: %w", cfg.Stream, err)
	}
	if !covers(stream.CachedInfo().Config.Subjects, cfg.Subject) {
		nc.Close()
		return nil, fmt.Errorf("JetStream stream %s holds subjects %v, not %s: name another stream or add the subject to it", cfg.Stream, stream.CachedInfo().Config.Subjects, cfg.Subject)
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable: cfg.Durable, FilterSubject: cfg.Subject, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: 30 * time.Second, MaxDeliver: cfg.MaxDeliver,
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("JetStream consumer %s on %s: %w", cfg.Durable, cfg.Subject, err)
	}
	return &Feed{cfg: cfg, nc: nc, cons: cons}, nil
}

// Close disconnects.
func (f *Feed) Close() { f.nc.Close() }

// Run pulls and ingests batches until ctx ends. A message that is not
// valid input is terminated (never redelivered) and logged; when storing
// a batch fails, its messages are negatively acknowledged for redelivery.
func (f *Feed) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if err := f.pull(ctx); err != nil {
			f.cfg.Logger.Error("NATS event feed", "subject", f.cfg.Subject, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// pull fetches one batch and ingests it.
func (f *Feed) pull(ctx context.Context) error {
	batch, err := f.cons.Fetch(f.cfg.Batch, jetstream.FetchMaxWait(f.cfg.MaxWait))
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	var msgs []jetstream.Msg
	var events []*warden.Event
	for msg := range batch.Messages() {
		evs, err := decode(msg, f.cfg.Subject)
		if err != nil {
			f.cfg.Logger.Warn("NATS event message refused", "subject", msg.Subject(), "err", err)
			_ = msg.Term()
			continue
		}
		msgs, events = append(msgs, msg), append(events, evs...)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
		f.cfg.Logger.Warn("NATS fetch ended early", "err", err)
	}
	if len(msgs) == 0 {
		return nil
	}
	for start := 0; start < len(events); start += monitor.MaxIngestBatch {
		if _, err := f.cfg.Ingester.IngestEvents(ctx, events[start:min(start+monitor.MaxIngestBatch, len(events))]); err != nil {
			for _, m := range msgs {
				_ = m.Nak()
			}
			return fmt.Errorf("ingest %d events: %w", len(events), err)
		}
	}
	for _, m := range msgs {
		if err := m.Ack(); err != nil {
			return fmt.Errorf("ack: %w", err)
		}
	}
	return nil
}

// decode reads the events of one message.
func decode(msg jetstream.Msg, subject string) ([]*warden.Event, error) {
	meta, _ := msg.Metadata()
	ref := "nats:" + subject
	if meta != nil {
		ref = fmt.Sprintf("nats:%s#%d", subject, meta.Sequence.Stream)
	}
	var out []*warden.Event
	err := monitor.ReadEvents(bytes.NewReader(msg.Data()), ref, func(e *warden.Event) error {
		cp := *e
		if err := monitor.CheckEvent(&cp); err != nil {
			return fmt.Errorf("%s event %d: %w", ref, len(out)+1, err)
		}
		out = append(out, &cp)
		return nil
	})
	return out, err
}

// covers reports whether one of the stream's subjects (with NATS
// wildcards: * one token, > the rest) matches subject.
func covers(patterns []string, subject string) bool {
	for _, p := range patterns {
		if matchSubject(strings.Split(p, "."), strings.Split(subject, ".")) {
			return true
		}
	}
	return false
}

func matchSubject(pattern, subject []string) bool {
	for i, tok := range pattern {
		switch {
		case tok == ">":
			return len(subject) > i
		case i >= len(subject):
			return false
		case tok != "*" && tok != subject[i]:
			return false
		}
	}
	return len(pattern) == len(subject)
}
