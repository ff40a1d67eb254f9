package natsfeed

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/monitor"
	"github.com/warden-nhi/warden/store/storetest"
)

// natsURL is the NATS server the tests use (WARDEN_TEST_NATS overrides).
func natsURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("WARDEN_TEST_NATS")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	host := strings.TrimPrefix(url, "nats://")
	conn, err := net.DialTimeout("tcp", host, time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS at %s is unreachable: %v", url, err)
		}
		t.Skipf("NATS at %s is unreachable (%v); set CI=true to fail instead", url, err)
	}
	conn.Close()
	return url
}

// TestFeed_CloudTrailOverJetStreamRaisesDetections: an instance role's
// CloudTrail records published to a JetStream subject (learning history in
// several messages, a malformed message, then the attack gzip-compressed)
// are stored and monitored; the stolen credential is detected, the
// malformed message is terminated rather than redelivered, and nothing is
// left unacknowledged.
func TestFeed_CloudTrailOverJetStreamRaisesDetections(t *testing.T) {
	url := natsURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	id := fmt.Sprintf("%d", time.Now().UnixNano())
	subject, stream := "warden.test."+id+".events", "WARDEN_TEST_"+id

	db := storetest.OpenSQLite(t)
	cfg := monitor.Config{LearningPeriod: 24 * time.Hour, MinLearningEvents: 20, Lateness: -1, Baselines: db}
	p := &monitor.Pipeline{Engine: monitor.NewEngine(cfg), Activity: db, Detections: db}
	feed, err := Open(ctx, Config{URL: url, Subject: subject, Stream: stream, Durable: "warden-test", Ingester: p, Batch: 4, MaxWait: 200 * time.Millisecond})
	if err != nil {
		if strings.Contains(err.Error(), "jetstream not enabled") && os.Getenv("CI") != "true" {
			t.Skipf("JetStream is not enabled on %s: %v", url, err)
		}
		t.Fatal(err)
	}
	defer feed.Close()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), stream) })

	data, err := os.ReadFile(filepath.Join("..", "testdata", "sequences", "cloudtrail-off-workload.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSpace(string(data)), "\n")
	history, attack := lines[:len(lines)-2], lines[len(lines)-2:]
	publish := func(body []byte) {
		t.Helper()
		if _, err := js.Publish(ctx, subject, body); err != nil {
			t.Fatal(err)
		}
	}
	for start := 0; start < len(history); start += 25 {
		publish([]byte(strings.Join(history[start:min(start+25, len(history))], "")))
	}
	publish([]byte(`{"time":"2026-03-02T00:00:05Z","source":"s","raw_id":"r","principal":"p","verb":"get"}`))
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(strings.Join(attack, "")))
	zw.Close()
	publish(zipped.Bytes())

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- feed.Run(runCtx) }()
	var ds []*warden.Detection
	for len(ds) < 3 && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
		if ds, _, err = db.FindDetections(ctx, warden.DetectionFilter{}); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	off := 0
	for _, d := range ds {
		if d.Detector == monitor.DetOffWorkload {
			off++
		}
	}
	if len(ds) != 3 || off != 1 {
		t.Fatalf("detections %d (off-workload %d), want 3 (1)", len(ds), off)
	}
	events, _, err := db.FindEvents(ctx, warden.EventFilter{Limit: 500})
	if err != nil || len(events) != len(lines) {
		t.Fatalf("stored %d events, want %d (%v)", len(events), len(lines), err)
	}
	cons, err := js.Consumer(ctx, stream, "warden-test")
	if err != nil {
		t.Fatal(err)
	}
	// Acknowledgements are sent after the batch is stored: give them a
	// moment to reach the server.
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := cons.Info(ctx)
		if err == nil && info.NumPending == 0 && info.NumAckPending == 0 && info.NumRedelivered == 0 && info.AckFloor.Stream == info.Delivered.Stream {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer after the run: %+v, %v", info, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOpen_RequiresConfig(t *testing.T) {
	if _, err := Open(context.Background(), Config{Subject: "x"}); err == nil {
		t.Fatal("opened without URL and ingester")
	}
}

func TestCovers_SubjectWildcards(t *testing.T) {
	for _, tc := range []struct {
		patterns []string
		subject  string
		want     bool
	}{
		{[]string{"warden.events"}, "warden.events", true},
		{[]string{"warden.*"}, "warden.events", true},
		{[]string{"warden.>"}, "warden.events.aws", true},
		{[]string{"warden.>"}, "warden", false},
		{[]string{"warden.*"}, "warden.events.aws", false},
		{[]string{"other.events", "warden.events"}, "warden.events", true},
		{[]string{"warden.events"}, "warden.event", false},
		{nil, "warden.events", false},
	} {
		if got := covers(tc.patterns, tc.subject); got != tc.want {
			t.Errorf("covers(%v, %s) = %v, want %v", tc.patterns, tc.subject, got, tc.want)
		}
	}
}

// TestOpen_StreamWithoutTheSubjectIsRefused: an existing stream that does
// not hold the subject is an error naming both, not a silent dead feed.
func TestOpen_StreamWithoutTheSubjectIsRefused(t *testing.T) {
	url := natsURL(t)
	ctx := context.Background()
	id := fmt.Sprintf("%d", time.Now().UnixNano())
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream := "WARDEN_TEST_OTHER_" + id
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{"other." + id}}); err != nil {
		t.Skipf("JetStream not usable on %s: %v", url, err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), stream) })
	p := &monitor.Pipeline{Engine: monitor.NewEngine(monitor.Config{})}
	_, err = Open(ctx, Config{URL: url, Subject: "warden." + id, Stream: stream, Ingester: p})
	if err == nil || !strings.Contains(err.Error(), stream) || !strings.Contains(err.Error(), "warden."+id) {
		t.Fatalf("open = %v", err)
	}
}
