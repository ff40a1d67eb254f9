package monitor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

func sampleDetection() *warden.Detection {
	t := time.Date(2026, 3, 4, 1, 0, 5, 0, time.UTC)
	return &warden.Detection{ID: "0195a1c2-0000-7000-8000-000000000001", Detector: DetOffWorkload, Severity: warden.SeverityCritical, Time: t, DetectedAt: t.Add(time.Second),
		Provider: warden.ProviderAWS, Identity: ordersRole, Technique: "T1552.005", TechniqueName: "Unsecured Credentials: Cloud Instance Metadata API", OWASP: "NHI2",
		Explanation: "credential of workload session i-0a1b2c3d4e5f60718 used from 198.51.100.23", EventIDs: []string{"ev-1", "ev-2"},
		Evidence:  []*warden.Event{{RawID: "ev-2", Time: t, Source: "cloudtrail", Principal: ordersRole, Action: "sts:GetCallerIdentity", SourceIP: "198.51.100.23", UserAgent: "Boto3/1.34.69", Outcome: warden.OutcomeAllow}},
		Responses: []string{"quarantine"}}
}

// TestWebhook_RetriesThenDeliversSigned: a real local receiver fails the
// first two deliveries with 503; the third arrives, every attempt carries
// a valid HMAC-SHA256 signature over timestamp and body, and the waits
// between attempts double.
func TestWebhook_RetriesThenDeliversSigned(t *testing.T) {
	secret := []byte("whsec-test-5b1f0c")
	var mu sync.Mutex
	var bodies [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !VerifySignature(secret, r.Header.Get(HeaderTimestamp), body, r.Header.Get(HeaderSignature)) {
			t.Errorf("attempt %d: bad signature %q", len(bodies)+1, r.Header.Get(HeaderSignature))
		}
		if VerifySignature([]byte("other-secret"), r.Header.Get(HeaderTimestamp), body, r.Header.Get(HeaderSignature)) {
			t.Error("signature verifies under another secret")
		}
		bodies = append(bodies, body)
		if len(bodies) < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	var waits []time.Duration
	db := storetest.OpenSQLite(t)
	w := &Webhook{URL: srv.URL, Secret: secret, Backoff: 10 * time.Millisecond, DeadLetters: db,
		sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); time.Sleep(d); return nil }}
	if err := w.Send(context.Background(), sampleDetection()); err != nil {
		t.Fatal(err)
	}
	if len(bodies) != 3 || string(bodies[0]) != string(bodies[2]) {
		t.Fatalf("deliveries = %d", len(bodies))
	}
	if len(waits) != 2 || waits[1] != 2*waits[0] {
		t.Fatalf("backoff = %v", waits)
	}
	var got warden.Detection
	if err := json.Unmarshal(bodies[2], &got); err != nil || got.ID != sampleDetection().ID {
		t.Fatalf("payload = %s, %v", bodies[2], err)
	}
	if dl, _ := db.FindDeadLetters(context.Background(), 10); len(dl) != 0 {
		t.Fatalf("dead letters after delivery: %v", dl)
	}
}

// TestWebhook_DeadLetterAfterLastAttempt: a receiver that always fails
// gets Attempts tries, then the alert is stored as a dead letter; a 400 is
// not retried.
func TestWebhook_DeadLetterAfterLastAttempt(t *testing.T) {
	for name, tc := range map[string]struct {
		status, wantTries int
	}{"ServerError": {http.StatusBadGateway, 4}, "ClientErrorNotRetried": {http.StatusBadRequest, 1}} {
		t.Run(name, func(t *testing.T) {
			tries := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { tries++; w.WriteHeader(tc.status) }))
			defer srv.Close()
			db := storetest.OpenSQLite(t)
			w := &Webhook{URL: srv.URL + "/hook?token=s3cr3t", Secret: []byte("k"), Attempts: 4, Backoff: time.Millisecond, DeadLetters: db}
			if err := w.Send(context.Background(), sampleDetection()); err != nil {
				t.Fatal(err)
			}
			dl, err := db.FindDeadLetters(context.Background(), 10)
			if err != nil || len(dl) != 1 || tries != tc.wantTries || dl[0].Attempts != tc.wantTries || dl[0].DetectionID != sampleDetection().ID ||
				dl[0].Target != srv.URL+"/hook" || dl[0].LastError == "" {
				t.Fatalf("tries %d, dead letters %+v, %v", tries, dl, err)
			}
		})
	}
}
