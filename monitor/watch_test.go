package monitor

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestDirWatcher_IngestsSettledFilesAndMovesThem: CloudTrail history and
// a gzip attack file dropped into a watched directory are ingested in
// name order and moved to processed/, raising the off-workload detection;
// a file with a bad record ends in failed/ with nothing of it stored; a
// dot-file and an unsettled file are left alone.
func TestDirWatcher_IngestsSettledFilesAndMovesThem(t *testing.T) {
	db := storetest.OpenSQLite(t)
	cfg := testConfig()
	cfg.Baselines, cfg.Lateness = db, -1
	p := &Pipeline{Engine: NewEngine(cfg), Activity: db, Detections: db}
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "sequences", "cloudtrail-off-workload.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	write := func(name string, body []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("2026-03-02-history.jsonl", []byte(strings.Join(lines[:len(lines)-2], "")))
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(strings.Join(lines[len(lines)-2:], "")))
	zw.Close()
	write("2026-03-04-attack.jsonl.gz", zipped.Bytes())
	write("2026-03-05-bad.jsonl", []byte(`{"time":"2026-03-05T00:00:00Z","source":"s","raw_id":"ok-1","principal":"p"}`+"\n"+`{"time":"2026-03-05T00:00:01Z","source":"s","raw_id":"bad","principal":""}`+"\n"))
	write(".2026-03-06-partial.jsonl", []byte(`{"Records":[`))

	now := time.Now()
	w := &DirWatcher{Dir: dir, Ingester: p, Settle: time.Minute, Now: func() time.Time { return now }}
	if n, err := w.Scan(context.Background()); err != nil || n != 0 {
		t.Fatalf("unsettled scan = %d, %v", n, err)
	}
	w.Now = func() time.Time { return now.Add(2 * time.Minute) }
	if n, err := w.Scan(context.Background()); err != nil || n != 2 {
		t.Fatalf("scan = %d, %v", n, err)
	}
	if got := listDir(t, filepath.Join(dir, ProcessedDir)); !slices.Equal(got, []string{"2026-03-02-history.jsonl", "2026-03-04-attack.jsonl.gz"}) {
		t.Fatalf("processed = %v", got)
	}
	if got := listDir(t, filepath.Join(dir, FailedDir)); !slices.Equal(got, []string{"2026-03-05-bad.jsonl"}) {
		t.Fatalf("failed = %v", got)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{".2026-03-06-partial.jsonl", FailedDir, ProcessedDir}) {
		t.Fatalf("left in the directory = %v", got)
	}
	ds, _, err := db.FindDetections(context.Background(), warden.DetectionFilter{Detector: DetOffWorkload})
	if err != nil || len(ds) != 1 {
		t.Fatalf("off-workload detections = %d, %v", len(ds), err)
	}
	events, _, err := db.FindEvents(context.Background(), warden.EventFilter{Source: "s"})
	if err != nil || len(events) != 0 {
		t.Fatalf("the bad file stored %d events (%v)", len(events), err)
	}
	if n, err := w.Scan(context.Background()); err != nil || n != 0 {
		t.Fatalf("rescan = %d, %v", n, err)
	}
}
