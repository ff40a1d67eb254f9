package monitor

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
)

// Webhook signature headers. The signature is
// "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)), so that a
// receiver can reject replays by the timestamp (Unix seconds).
const (
	HeaderSignature = "X-Warden-Signature"
	HeaderTimestamp = "X-Warden-Timestamp"
	HeaderDelivery  = "X-Warden-Delivery"
)

// Sign returns the signature header value of body sent at ts.
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a signature header in constant time.
func VerifySignature(secret []byte, ts string, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(sig))
}

// Webhook posts detections to a URL, signed, retrying failures (network
// errors, 408, 429 and 5xx) with exponential backoff; after the last
// attempt the alert becomes a dead letter.
type Webhook struct {
	URL            string
	Secret         []byte
	Format         string // FormatWarden (default) or FormatOCSF
	ProductVersion string
	Client         *http.Client // default: 10 s timeout
	Attempts       int          // default 5
	Backoff        time.Duration
	MaxBackoff     time.Duration
	DeadLetters    warden.DeadLetterService // nil: the failure is only logged
	Logger         *slog.Logger
	sleep          func(context.Context, time.Duration) error
}

func (w *Webhook) defaults() {
	if w.Client == nil {
		w.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if w.Attempts <= 0 {
		w.Attempts = 5
	}
	if w.Backoff <= 0 {
		w.Backoff = 500 * time.Millisecond
	}
	if w.MaxBackoff <= 0 {
		w.MaxBackoff = 30 * time.Second
	}
	if w.sleep == nil {
		w.sleep = sleepCtx
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Send delivers d, retrying; it returns nil once delivered or recorded as
// a dead letter, and an error only when even that failed.
func (w *Webhook) Send(ctx context.Context, d *warden.Detection) error {
	w.defaults()
	body, err := Payload(d, w.Format, w.ProductVersion)
	if err != nil {
		return err
	}
	delay := w.Backoff
	var last error
	attempt := 0
	for attempt = 1; attempt <= w.Attempts; attempt++ {
		retry, err := w.post(ctx, d.ID, body)
		if err == nil {
			return nil
		}
		last = err
		w.Logger.Warn("webhook delivery failed", "url", redactURL(w.URL), "detection", d.ID, "attempt", attempt, "err", err)
		if !retry || attempt == w.Attempts {
			break
		}
		if err := w.sleep(ctx, delay); err != nil {
			last = err
			break
		}
		delay = min(delay*2, w.MaxBackoff)
	}
	attempt = min(attempt, w.Attempts)
	if w.DeadLetters == nil {
		return fmt.Errorf("webhook %s: gave up after %d attempts: %w", redactURL(w.URL), attempt, last)
	}
	dl := &warden.DeadLetter{Sink: "webhook", Target: redactURL(w.URL), DetectionID: d.ID, Payload: body, Attempts: attempt, LastError: last.Error()}
	if err := w.DeadLetters.RecordDeadLetter(context.WithoutCancel(ctx), dl); err != nil {
		return fmt.Errorf("webhook %s: record dead letter: %w", redactURL(w.URL), err)
	}
	return nil
}

// post makes one delivery attempt and says whether a failure is worth
// retrying.
func (w *Webhook) post(ctx context.Context, id string, body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("webhook request: %w", err)
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "warden-monitor")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderDelivery, id)
	if len(w.Secret) > 0 {
		req.Header.Set(HeaderSignature, Sign(w.Secret, ts, body))
	}
	resp, err := w.Client.Do(req)
	if err != nil {
		return ctx.Err() == nil, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return false, fmt.Errorf("HTTP %d (not retried)", resp.StatusCode)
}

// redactURL drops user information and the query, which may hold tokens.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "invalid-url"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
