package monitor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

// TestQueuedSink_FailingWebhookDoesNotBlockIngestion: a real local
// receiver answers 503 to every first attempt; behind a queue, ingesting
// the attack that raises three detections returns before any retry has
// happened, and closing the queue delivers all three.
func TestQueuedSink_FailingWebhookDoesNotBlockIngestion(t *testing.T) {
	var attempts, delivered atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if attempts.Add(1)%2 == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		delivered.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	const backoff = 300 * time.Millisecond
	q := NewQueuedSink(&Webhook{URL: srv.URL, Secret: []byte("k"), Backoff: backoff}, QueueConfig{Name: "webhook"})
	cfg := testConfig()
	cfg.Lateness = -1
	p := &Pipeline{Engine: NewEngine(cfg), Alerts: []Sink{q}}
	events := readSequence(t, "cloudtrail-off-workload.jsonl")
	ingestAll(t, p, events[:len(events)-2])
	start := time.Now()
	res, err := p.IngestEvents(context.Background(), events[len(events)-2:])
	if took := time.Since(start); err != nil || res.Detections != 3 || took >= backoff {
		t.Fatalf("ingest = %+v, %v in %v: held up by the webhook", res, err, took)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := q.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if delivered.Load() != 3 || attempts.Load() != 6 {
		t.Fatalf("delivered %d in %d attempts, want 3 in 6", delivered.Load(), attempts.Load())
	}
	if err := q.Send(context.Background(), sampleDetection()); err != ErrQueueClosed {
		t.Fatalf("send after close = %v", err)
	}
}

// blockingSink holds every delivery until release is closed, saying on
// started when a delivery begins.
type blockingSink struct {
	started chan struct{}
	release chan struct{}
	got     atomic.Int32
}

func (s *blockingSink) Send(ctx context.Context, d *warden.Detection) error {
	select {
	case s.started <- struct{}{}:
	default:
	}
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	s.got.Add(1)
	return nil
}

// TestQueuedSink_OverflowBecomesDeadLetter: with the receiver stuck and
// the queue full, a further alert is recorded at once as a dead letter
// naming the detection, and Close still delivers what was queued.
func TestQueuedSink_OverflowBecomesDeadLetter(t *testing.T) {
	db := storetest.OpenSQLite(t)
	sink := &blockingSink{started: make(chan struct{}, 1), release: make(chan struct{})}
	q := NewQueuedSink(sink, QueueConfig{Size: 2, Name: "webhook", Target: "https://siem.example/hook", DeadLetters: db})
	d := sampleDetection()
	// One delivery in progress, two queued, the fourth overflows.
	for i := range 4 {
		if err := q.Send(context.Background(), d); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if i == 0 {
			<-sink.started // the worker holds the first
		}
	}
	dl, err := db.FindDeadLetters(context.Background(), 10)
	if err != nil || len(dl) != 1 || dl[0].DetectionID != d.ID || dl[0].Sink != "webhook" || dl[0].Target != "https://siem.example/hook" || q.Overflowed() != 1 {
		t.Fatalf("dead letters = %+v, %v; overflowed %d", dl, err, q.Overflowed())
	}
	close(sink.release)
	if err := q.Close(context.Background()); err != nil || sink.got.Load() != 3 {
		t.Fatalf("close = %v, delivered %d, want 3", err, sink.got.Load())
	}
}

// TestEngineSave_FailedSaveIsRetried: a baseline save that fails leaves
// its profiles marked changed, so the next save stores them.
func TestEngineSave_FailedSaveIsRetried(t *testing.T) {
	db := storetest.OpenSQLite(t)
	flaky := &failingBaselines{BaselineService: db, fail: 1}
	cfg := testConfig()
	cfg.Baselines, cfg.Lateness = flaky, -1
	en := NewEngine(cfg)
	events := readSequence(t, "cloudtrail-off-workload.jsonl")[:5]
	for _, e := range events {
		en.Observe(e)
	}
	if err := en.Save(context.Background()); err == nil {
		t.Fatal("save did not report the failure")
	}
	if err := en.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
	key := ActorKey(events[0])
	got, err := db.FindBaselines(context.Background(), []string{key})
	if err != nil || got[key] == nil || got[key].Events != 5 {
		t.Fatalf("stored baseline after the retry = %+v, %v", got[key], err)
	}
}

// failingBaselines fails the first fail saves.
type failingBaselines struct {
	warden.BaselineService
	fail int
}

func (f *failingBaselines) SaveBaselines(ctx context.Context, bs []*warden.Baseline) error {
	if f.fail > 0 {
		f.fail--
		return warden.Errorf(warden.EINTERNAL, "disk full")
	}
	return f.BaselineService.SaveBaselines(ctx, bs)
}
