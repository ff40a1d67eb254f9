package monitor

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWebhook_OCSFBodySigned: with Format OCSF the webhook posts the
// OCSF Detection Finding, signed like any other body.
func TestWebhook_OCSFBodySigned(t *testing.T) {
	secret := []byte("whsec-ocsf-19c0a4e7")
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !VerifySignature(secret, r.Header.Get(HeaderTimestamp), body, r.Header.Get(HeaderSignature)) {
			t.Error("bad signature")
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Secret: secret, Format: FormatOCSF, ProductVersion: "test"}
	if err := w.Send(context.Background(), sampleDetection()); err != nil {
		t.Fatal(err)
	}
	if got["class_uid"] != float64(2004) || got["message"] != sampleDetection().Explanation {
		t.Fatalf("body = %v", got)
	}
}
