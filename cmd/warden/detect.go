package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/monitor"
)

var detectionJSONHelp = jsonHelp(jsonFields(warden.Detection{}))

// detectBatch is how many events offline detection hands the pipeline at
// once.
const detectBatch = 1000

func newDetectCmd() *cobra.Command {
	var (
		asJSON    bool
		dsn       string
		learning  time.Duration
		minEvents int
		lateness  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "detect [--json] PATH...",
		Short: "Run the behavioural detectors over activity logs, without a server",
		Long: `Run warden's per-identity baselines and detectors over activity logs and print the
detections: CloudTrail (S3-delivery {"Records":[...]} files or JSON Lines, gzip allowed) and
JSON Lines of warden events (the body of POST /v1/events). PATH may be a file, a directory
(read recursively, in name order) or - for standard input.

State is kept in memory unless --db names a database: then baselines are loaded from and
saved to it, and detections are recorded there, so that runs over consecutive log files
learn from each other.

The table shows TIME, SEVERITY, DETECTOR, IDENTITY and EXPLANATION; a summary goes to
standard error.

` + detectionJSONHelp + ` "identity" is the actor's external id, "event_ids" the raw record ids of
the evidence (CloudTrail eventID).`,
		Example: `  warden detect cloudtrail/2026/03/
  warden detect --json --learning 24h --min-events 20 trail.jsonl.gz | jq .
  warden detect --db ./monitor.db today.json.gz`,
		Args: cobra.MinimumNArgs(1),
	}
	fl := cmd.Flags()
	fl.BoolVar(&asJSON, "json", false, "print detections as JSON Lines")
	fl.StringVar(&dsn, "db", "", "keep baselines and detections in this database (SQLite path or postgres:// URL); default: in memory")
	fl.DurationVar(&learning, "learning", 7*24*time.Hour, "how long an identity is watched before deviations from its baseline alert")
	fl.IntVar(&minEvents, "min-events", 50, "events an identity needs before deviations from its baseline alert")
	fl.DurationVar(&lateness, "lateness", time.Minute, "how long (in event time) events wait so that late ones are put in order")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if learning < 0 || minEvents < 0 || lateness < 0 {
			return fmt.Errorf("--learning, --min-events and --lateness must not be negative")
		}
		inputs, err := collectInputs("", args, cmd.InOrStdin())
		if err != nil {
			return err
		}
		cfg := monitor.Config{LearningPeriod: learning, MinLearningEvents: max(minEvents, 1), Lateness: lateness}
		ctx := warden.NewContextWithActor(cmd.Context(), cliActor())
		out := &detectionPrinter{w: cmd.OutOrStdout(), json: asJSON}
		if !asJSON {
			out.table = newTable(cmd.OutOrStdout(), "TIME", "SEVERITY", "DETECTOR", "IDENTITY", "EXPLANATION")
		}
		p := &monitor.Pipeline{Alerts: []monitor.Sink{out}}
		if dsn != "" {
			db, err := openStore(ctx, dsn)
			if err != nil {
				return err
			}
			defer db.Close()
			cfg.Baselines, p.Detections = db, db
		}
		p.Engine = monitor.NewEngine(cfg)
		st, err := detectInputs(ctx, p, inputs)
		if err != nil {
			return err
		}
		if out.table != nil {
			if err := out.table.flush(cmd.ErrOrStderr(), ""); err != nil {
				return err
			}
		}
		es := p.Engine.Stats()
		fmt.Fprintf(cmd.ErrOrStderr(), "%d events from %d inputs (%d duplicates, %d without an actor, %d out of order): %d detections\n",
			es.Events, len(inputs), es.Duplicates, st.skipped, es.Late, out.n)
		return nil
	}
	return cmd
}

// detectStats counts what offline detection skipped.
type detectStats struct{ skipped int }

// detectInputs streams every input through the pipeline in batches and
// flushes it at the end. Events that are not usable (no actor) are
// skipped and counted.
func detectInputs(ctx context.Context, p *monitor.Pipeline, inputs []input) (detectStats, error) {
	var st detectStats
	batch := make([]*warden.Event, 0, detectBatch)
	ingest := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := p.IngestEvents(ctx, batch)
		batch = batch[:0]
		return err
	}
	for _, in := range inputs {
		rc, err := in.open()
		if err != nil {
			return st, fmt.Errorf("open %s: %w", in.name, err)
		}
		err = monitor.ReadEvents(rc, in.name, func(e *warden.Event) error {
			cp := *e // the reader reuses e
			if monitor.CheckEvent(&cp) != nil {
				st.skipped++
				return nil
			}
			if batch = append(batch, &cp); len(batch) == detectBatch {
				return ingest()
			}
			return nil
		})
		rc.Close()
		if err != nil {
			return st, explain(err)
		}
	}
	if err := ingest(); err != nil {
		return st, explain(err)
	}
	return st, p.Flush(ctx)
}

// detectionPrinter is the alert sink of offline detection: it prints
// each detection as a table row or a JSON line.
type detectionPrinter struct {
	w     io.Writer
	json  bool
	table *table
	n     int
	mu    sync.Mutex
}

// Send prints d.
func (p *detectionPrinter) Send(_ context.Context, d *warden.Detection) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.json {
		return newJSONLines(p.w).write(d)
	}
	p.table.row(d.Time.UTC().Format(time.RFC3339), string(d.Severity), d.Detector, clip(d.Identity, 60), clip(d.Explanation, 120))
	return nil
}
