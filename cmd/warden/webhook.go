package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/warden-nhi/warden/monitor"
)

// signedWebhook posts JSON notifications signed like the monitor's alerts
// (X-Warden-Signature over the timestamp and body), in the background,
// with a few retries; delivery never blocks the caller.
type signedWebhook struct {
	url    string
	secret []byte
	client *http.Client
	logger *slog.Logger
}

// newSignedWebhook checks a webhook flag and its secret file; flag names
// them in errors. An empty rawURL yields nil: no webhook.
func newSignedWebhook(flag, rawURL, secretFile string, logger *slog.Logger) (*signedWebhook, error) {
	if rawURL == "" {
		return nil, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("--%s %q must be an http(s) URL", flag, rawURL)
	}
	if secretFile == "" {
		return nil, fmt.Errorf("--%s needs --%s-secret-file: notifications are always signed", flag, flag)
	}
	secret, err := os.ReadFile(secretFile)
	if err != nil || len(bytes.TrimSpace(secret)) < 16 {
		return nil, fmt.Errorf("--%s-secret-file: read a secret of at least 16 bytes: %v", flag, err)
	}
	return &signedWebhook{url: rawURL, secret: bytes.TrimSpace(secret), client: &http.Client{Timeout: 10 * time.Second}, logger: logger}, nil
}

// send delivers body in the background; what names it in logs.
func (w *signedWebhook) send(ctx context.Context, what string, body []byte) {
	go w.deliver(context.WithoutCancel(ctx), what, body)
}

func (w *signedWebhook) deliver(ctx context.Context, what string, body []byte) {
	backoff := time.Second
	for attempt := 1; attempt <= 3; attempt++ {
		err := w.post(ctx, body)
		if err == nil {
			return
		}
		w.logger.Warn("webhook notification failed", "notification", what, "attempt", attempt, "error", err)
		time.Sleep(backoff)
		backoff *= 2
	}
}

func (w *signedWebhook) post(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(monitor.HeaderTimestamp, ts)
	req.Header.Set(monitor.HeaderSignature, monitor.Sign(w.secret, ts, body))
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}
