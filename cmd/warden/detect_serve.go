package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/monitor"
	"github.com/warden-nhi/warden/monitor/natsfeed"
	"github.com/warden-nhi/warden/store"
)

// monitorFlags configure behavioural monitoring in "warden serve".
type monitorFlags struct {
	playbook          string
	dryRun            bool
	webhookURL        string
	webhookSecretFile string
	webhookFormat     string
	ocsfFile          string
	watchDir          string
	natsURL           string
	natsSubject       string
	natsStream        string
	learning          time.Duration
	minEvents         int
	lateness          time.Duration
	tick              time.Duration
	followDecisions   bool
}

func addMonitorFlags(cmd *cobra.Command, f *monitorFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.playbook, "playbook", "", "response playbook (JSON): rules matching detections to alert, quarantine, revoke, disable; default: alert on everything")
	fl.BoolVar(&f.dryRun, "playbook-dry-run", false, "record what the playbook would do without doing it")
	fl.StringVar(&f.webhookURL, "webhook-url", "", "POST each alerted detection (JSON) to this URL, signed with --webhook-secret-file, retried with backoff; failures become dead letters")
	fl.StringVar(&f.webhookSecretFile, "webhook-secret-file", "", "file holding the HMAC-SHA256 key of the "+monitor.HeaderSignature+" header")
	fl.StringVar(&f.webhookFormat, "webhook-format", monitor.FormatWarden, "webhook body: warden (the detection as the API returns it) or ocsf (an OCSF 1.1 Detection Finding, for a SIEM's HTTP collector)")
	fl.StringVar(&f.ocsfFile, "ocsf-file", "", "append alerted detections as OCSF 1.1 Detection Findings (JSON Lines) to this file; - for standard output")
	fl.StringVar(&f.watchDir, "watch-dir", "", "ingest activity log files (CloudTrail or warden events, gzip allowed) dropped into this directory; done files move to processed/ or failed/")
	fl.StringVar(&f.natsURL, "nats-url", "", "ingest activity events from a NATS JetStream subject on this server (nats://host:4222)")
	fl.StringVar(&f.natsSubject, "nats-subject", "warden.events", "the JetStream subject of --nats-url")
	fl.StringVar(&f.natsStream, "nats-stream", "WARDEN_EVENTS", "the JetStream stream holding --nats-subject (created when missing); replicas share its durable consumer warden-monitor")
	fl.DurationVar(&f.learning, "monitor-learning", 7*24*time.Hour, "how long an identity is watched before deviations from its baseline alert")
	fl.IntVar(&f.minEvents, "monitor-min-events", 50, "events an identity needs before deviations from its baseline alert")
	fl.DurationVar(&f.lateness, "monitor-lateness", time.Minute, "how long (in event time) events wait so that late ones are put in order")
	fl.BoolVar(&f.followDecisions, "monitor-decisions", true, "monitor the decision point's logged decisions (enable on one replica only when several share a database)")
	fl.DurationVar(&f.tick, "monitor-tick", 5*time.Second, "how often events held for ordering are released when no newer ones arrive")
}

// runningMonitor is monitoring started by startMonitor.
type runningMonitor struct {
	api     httpapi.Monitor
	metrics []prometheus.Collector // for /metrics
	stop    func()                 // releases held events and delivers queued alerts
}

// monitorMetrics exposes the pipeline's counters and the alert queues'
// overflows in Prometheus format.
func monitorMetrics(p *monitor.Pipeline, sinks []*monitor.QueuedSink) []prometheus.Collector {
	stat := func(f func(monitor.Stats) int64) func() float64 {
		return func() float64 { return float64(f(p.Stats())) }
	}
	out := []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_monitor_events_total", Help: "Activity events run through the detectors."},
			stat(func(s monitor.Stats) int64 { return s.Events })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_monitor_duplicate_events_total", Help: "Activity events dropped as already seen."},
			stat(func(s monitor.Stats) int64 { return s.Duplicates })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_monitor_late_events_total", Help: "Activity events processed after newer events of their identity."},
			stat(func(s monitor.Stats) int64 { return s.Late })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_monitor_detections_total", Help: "Detections raised."},
			stat(func(s monitor.Stats) int64 { return s.Detections })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "warden_monitor_held_events", Help: "Events waiting to be put in event-time order."},
			stat(func(s monitor.Stats) int64 { return s.Held })),
	}
	for _, q := range sinks {
		out = append(out, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "warden_monitor_alert_overflows_total",
			Help: "Alerts that found their sink's queue full and became dead letters.", ConstLabels: prometheus.Labels{"sink": q.Name()}},
			func() float64 { return float64(q.Overflowed()) }))
	}
	return out
}

// startMonitor wires the monitor on db: the pipeline (baselines,
// detectors, playbook, detection store, queued alert sinks) behind POST
// /v1/events, and the watched directory and NATS inputs when configured.
func startMonitor(ctx context.Context, db *store.DB, f monitorFlags, logger *slog.Logger) (*runningMonitor, error) {
	if f.minEvents < 1 || f.learning < 0 || f.lateness < 0 || f.tick <= 0 {
		return nil, fmt.Errorf("--monitor-min-events must be at least 1, --monitor-tick positive, --monitor-learning and --monitor-lateness not negative")
	}
	pb := &monitor.Playbook{Rules: []monitor.Rule{{Name: "alert on every detection", Actions: []string{monitor.ActionAlert}}}}
	if f.playbook != "" {
		data, err := os.ReadFile(f.playbook)
		if err != nil {
			return nil, fmt.Errorf("--playbook: %w", err)
		}
		if pb, err = monitor.ParsePlaybook(data); err != nil {
			return nil, fmt.Errorf("--playbook %s: %w", f.playbook, err)
		}
	}
	pb.DryRun = pb.DryRun || f.dryRun
	sinks, closeFiles, err := alertSinks(db, f, logger)
	if err != nil {
		return nil, err
	}
	cfg := monitor.Config{LearningPeriod: f.learning, MinLearningEvents: f.minEvents, Lateness: f.lateness, Baselines: db}
	p := &monitor.Pipeline{
		Engine: monitor.NewEngine(cfg), Activity: db, Detections: db,
		Responder: &monitor.Responder{Playbook: pb, Identities: db, Revoker: db},
		Alerts:    append([]monitor.Sink{monitor.LogSink{Logger: logger}}, sinksOf(sinks)...),
		Logger:    logger,
	}
	bg, cancel := context.WithCancel(warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "monitor"}))
	done := make(chan struct{})
	loops := 1
	go func() { p.Run(bg, f.tick); done <- struct{}{} }()
	// The decision point stores its decisions as activity (source
	// warden-pdp); follow them so that a principal probing policy is
	// watched like any other identity.
	if f.followDecisions {
		tail := &monitor.EventTail{Events: db, Source: "warden-pdp", Pipeline: p, Logger: logger}
		loops++
		go func() { tail.Run(bg); done <- struct{}{} }()
	}
	if f.watchDir != "" {
		if st, err := os.Stat(f.watchDir); err != nil || !st.IsDir() {
			cancel()
			closeFiles()
			return nil, fmt.Errorf("--watch-dir %s: not a directory", f.watchDir)
		}
		w := &monitor.DirWatcher{Dir: f.watchDir, Ingester: p, Logger: logger}
		loops++
		go func() { w.Run(bg); done <- struct{}{} }()
		logger.Info("watching for activity logs", "dir", f.watchDir)
	}
	var feed *natsfeed.Feed
	if f.natsURL != "" {
		if feed, err = natsfeed.Open(ctx, natsfeed.Config{URL: f.natsURL, Subject: f.natsSubject, Stream: f.natsStream, Ingester: p, Logger: logger}); err != nil {
			cancel()
			closeFiles()
			return nil, fmt.Errorf("--nats-url: %w", err)
		}
		loops++
		go func() { _ = feed.Run(bg); done <- struct{}{} }()
		logger.Info("consuming activity events from NATS", "url", redactURL(f.natsURL), "subject", f.natsSubject)
	}
	stop := func() {
		cancel()
		for range loops {
			<-done
		}
		if feed != nil {
			feed.Close()
		}
		flushCtx, stopFlush := context.WithTimeout(warden.NewContextWithActor(context.WithoutCancel(ctx), warden.Actor{Type: "system", ID: "monitor"}), 15*time.Second)
		defer stopFlush()
		if err := p.Flush(flushCtx); err != nil {
			logger.Error("monitor: release held events", "err", err)
		}
		for _, q := range sinks {
			if err := q.Close(flushCtx); err != nil {
				logger.Error("monitor: deliver queued alerts", "err", err)
			}
		}
		closeFiles()
	}
	return &runningMonitor{api: httpapi.Monitor{Ingester: p, Detections: db}, metrics: monitorMetrics(p, sinks), stop: stop}, nil
}

// alertSinks builds the queued webhook and OCSF sinks of the flags, and a
// function closing the files they write (after the queues are closed).
func alertSinks(db *store.DB, f monitorFlags, logger *slog.Logger) (out []*monitor.QueuedSink, closeFiles func(), err error) {
	closeFiles = func() {}
	if f.webhookURL != "" {
		if !strings.HasPrefix(f.webhookURL, "https://") && !strings.HasPrefix(f.webhookURL, "http://") {
			return nil, nil, fmt.Errorf("--webhook-url must be an http(s) URL")
		}
		var secret []byte
		if f.webhookSecretFile != "" {
			b, err := os.ReadFile(f.webhookSecretFile)
			if err != nil {
				return nil, nil, fmt.Errorf("--webhook-secret-file: %w", err)
			}
			if secret = []byte(strings.TrimSpace(string(b))); len(secret) < 16 {
				return nil, nil, fmt.Errorf("--webhook-secret-file %s: the secret must be at least 16 bytes", f.webhookSecretFile)
			}
		}
		if f.webhookFormat != monitor.FormatWarden && f.webhookFormat != monitor.FormatOCSF {
			return nil, nil, fmt.Errorf("--webhook-format %q: use warden or ocsf", f.webhookFormat)
		}
		if len(secret) == 0 {
			logger.Warn("webhook alerts are not signed: give --webhook-secret-file so that the receiver can verify them", "url", redactURL(f.webhookURL))
		}
		wh := &monitor.Webhook{URL: f.webhookURL, Secret: secret, Format: f.webhookFormat, ProductVersion: "warden", DeadLetters: db, Logger: logger}
		out = append(out, monitor.NewQueuedSink(wh, monitor.QueueConfig{Name: "webhook", Target: redactURL(f.webhookURL), DeadLetters: db, Logger: logger}))
	} else if f.webhookSecretFile != "" {
		return nil, nil, fmt.Errorf("--webhook-secret-file needs --webhook-url")
	}
	if f.ocsfFile != "" {
		w := os.Stdout
		if f.ocsfFile != "-" {
			file, err := os.OpenFile(f.ocsfFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
			if err != nil {
				return nil, nil, fmt.Errorf("--ocsf-file: %w", err)
			}
			w = file
			closeFiles = func() { _ = file.Close() }
		}
		sink := &monitor.WriterSink{W: w, Format: monitor.FormatOCSF, ProductVersion: "warden"}
		out = append(out, monitor.NewQueuedSink(sink, monitor.QueueConfig{Name: "ocsf-file", Target: f.ocsfFile, DeadLetters: db, Logger: logger}))
	}
	return out, closeFiles, nil
}

func sinksOf(qs []*monitor.QueuedSink) []monitor.Sink {
	out := make([]monitor.Sink, len(qs))
	for i, q := range qs {
		out[i] = q
	}
	return out
}
