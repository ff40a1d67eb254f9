package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/warden-nhi/warden/monitor"
)

// webhookReceiver starts a local receiver of signed notifications and
// returns a signedWebhook that posts to it, and the notifications it has
// received, each decoded as N. A delivery whose signature does not verify
// is refused and fails the test.
func webhookReceiver[N any](t *testing.T) (*signedWebhook, <-chan N) {
	t.Helper()
	secret := []byte("0123456789abcdef-secret")
	got := make(chan N, 8)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !monitor.VerifySignature(secret, r.Header.Get(monitor.HeaderTimestamp), body, r.Header.Get(monitor.HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			t.Errorf("notification signature does not verify")
			return
		}
		var n N
		if err := json.Unmarshal(body, &n); err != nil {
			t.Errorf("notification body: %v", err)
		}
		got <- n
	}))
	t.Cleanup(hook.Close)
	return &signedWebhook{url: hook.URL, secret: secret, client: hook.Client(), logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, got
}

// nextNotification is the next notification received, failing the test
// when none arrives within 5 s.
func nextNotification[N any](t *testing.T, got <-chan N) N {
	t.Helper()
	select {
	case n := <-got:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5 s")
	}
	panic("unreachable")
}
