package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/httpapi"
	"github.com/warden-nhi/warden/monitor"
	"github.com/warden-nhi/warden/store"
)

// sequence is a file of the monitor's test sequences.
func sequence(name string) string {
	return filepath.Join("..", "..", "monitor", "testdata", "sequences", name)
}

// detectionLine is what `warden detect --json` must print per detection.
type detectionLine struct {
	Detector    string    `json:"detector"`
	Severity    string    `json:"severity"`
	Identity    string    `json:"identity"`
	Time        time.Time `json:"time"`
	EventIDs    []string  `json:"event_ids"`
	Technique   string    `json:"technique"`
	Explanation string    `json:"explanation"`
}

// TestCLI_DetectOffline: warden detect over CloudTrail and warden-event
// files, in memory, prints the detections as JSON Lines with the fields
// the issue asks for, and as a table.
func TestCLI_DetectOffline(t *testing.T) {
	out := mustRun(t, "", "detect", "--json", "--learning", "24h", "--min-events", "20",
		sequence("cloudtrail-off-workload.jsonl"), sequence("cloudtrail-benign-churn.jsonl"), sequence("github-bot-hijack.jsonl"))
	var got []string
	for _, d := range decodeLines[detectionLine](t, out) {
		got = append(got, d.Detector+" "+d.Severity)
		if d.Identity == "" || d.Time.IsZero() || len(d.EventIDs) == 0 || !strings.HasPrefix(d.Technique, "T1") || !strings.Contains(d.Explanation, d.Identity) {
			t.Errorf("incomplete detection line %+v", d)
		}
		if d.Detector == monitor.DetOffWorkload {
			// The last use from the instance and the first from elsewhere,
			// by CloudTrail eventID.
			if d.Identity != "arn:aws:iam::111122223333:role/orders-api" || len(d.EventIDs) != 2 || len(d.EventIDs[1]) != 36 {
				t.Errorf("off-workload detection %+v", d)
			}
		}
	}
	slices.Sort(got)
	want := []string{"audit-log-tampering critical", "human-use medium", "new-source-network medium", "new-user-agent low", "new-user-agent low",
		"off-workload-credential critical", "persistence high"}
	if !slices.Equal(got, want) {
		t.Fatalf("detections = %q\nwant %q", got, want)
	}

	stdout, stderr, err := runCLI(t, "", "detect", "--learning", "24h", "--min-events", "20", sequence("cloudtrail-off-workload.jsonl"))
	if err != nil || !strings.Contains(stdout, "SEVERITY") || !strings.Contains(stdout, "off-workload-credential") || !strings.Contains(stderr, ": 3 detections") {
		t.Fatalf("table: %v\n%s\n%s", err, stdout, stderr)
	}
}

// TestCLI_DetectWithDBLearnsAcrossRuns: with --db, a first run over the
// learning history and a second over the attack alone detect the stolen
// credential, and the detections are recorded; without --db the attack
// alone detects nothing.
func TestCLI_DetectWithDBLearnsAcrossRuns(t *testing.T) {
	data, err := os.ReadFile(sequence("cloudtrail-off-workload.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	dir := t.TempDir()
	history, attack := filepath.Join(dir, "1-history.jsonl"), filepath.Join(dir, "2-attack.jsonl")
	if err := os.WriteFile(history, []byte(strings.Join(lines[:len(lines)-2], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(attack, []byte(strings.Join(lines[len(lines)-2:], "")), 0o600); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "monitor.db")
	args := []string{"detect", "--json", "--learning", "24h", "--min-events", "20", "--db", dbPath}
	if out := mustRun(t, "", append(args, history)...); strings.TrimSpace(out) != "" {
		t.Fatalf("history raised detections: %s", out)
	}
	if n := len(decodeLines[detectionLine](t, mustRun(t, "", append(args, attack)...))); n != 3 {
		t.Fatalf("attack after the history: %d detections, want 3", n)
	}
	if out := mustRun(t, "", "detect", "--json", "--learning", "24h", "--min-events", "20", attack); strings.TrimSpace(out) != "" {
		t.Fatalf("attack without a baseline raised: %s", out)
	}
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ds, _, err := db.FindDetections(context.Background(), warden.DetectionFilter{Detector: monitor.DetOffWorkload})
	if err != nil || len(ds) != 1 {
		t.Fatalf("recorded detections %v, %v", ds, err)
	}
}

func TestCLI_DetectBadInput(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	if err := os.WriteFile(bad, []byte(`{"time":"2026-03-02T00:00:05Z","source":"s","raw_id":"r","principal":"p","verb":"x"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, args := range map[string][]string{
		"UnknownField": {"detect", bad},
		"Missing":      {"detect", filepath.Join(t.TempDir(), "nope.jsonl")},
		"NoPath":       {"detect"},
		"NegativeFlag": {"detect", "--min-events", "-1", bad},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := runCLI(t, "", args...); err == nil {
				t.Fatal("succeeded")
			}
		})
	}
}

// TestCLI_DetectionsList lists a server's detections with filters, as a
// table and as JSON Lines.
func TestCLI_DetectionsList(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f, err := os.Open(sequence("cloudtrail-off-workload.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []*warden.Event
	if err := monitor.ReadEvents(f, "seq", func(e *warden.Event) error { cp := *e; events = append(events, &cp); return nil }); err != nil {
		t.Fatal(err)
	}
	p := &monitor.Pipeline{Engine: monitor.NewEngine(monitor.Config{LearningPeriod: 24 * time.Hour, MinLearningEvents: 20, Lateness: -1}), Detections: db}
	if _, err := p.IngestEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	_, secret, err := db.CreateToken(ctx, "test-auditor", warden.RoleAuditor)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Identities: db, Credentials: db, Tokens: db, Audit: db,
		Monitor: httpapi.Monitor{Detections: db}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registry: prometheus.NewRegistry()}))
	t.Cleanup(srv.Close)
	t.Setenv(envServer, srv.URL)
	t.Setenv(envToken, secret)

	all := decodeLines[warden.Detection](t, mustRun(t, "", "detections", "list", "--json"))
	if len(all) != 3 {
		t.Fatalf("%d detections listed, want 3", len(all))
	}
	crit := decodeLines[warden.Detection](t, mustRun(t, "", "detections", "list", "--json", "--severity", "critical", "--since", "2026-03-01"))
	if len(crit) != 1 || crit[0].Detector != monitor.DetOffWorkload {
		t.Fatalf("critical detections %+v", crit)
	}
	if table := mustRun(t, "", "detections", "list", "--detector", "new-user-agent"); !strings.Contains(table, "RESPONSES") || !strings.Contains(table, "new-user-agent") || strings.Contains(table, "off-workload") {
		t.Fatalf("table:\n%s", table)
	}
	if _, _, err := runCLI(t, "", "detections", "list", "--severity", "urgent"); err == nil || !strings.Contains(err.Error(), "severity") {
		t.Fatalf("bad severity: %v", err)
	}
}
