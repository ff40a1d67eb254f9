package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/monitor"
)

// accessWebhook tells approvers about access requests by webhook: a JSON
// notification, signed like the monitor's alerts (X-Warden-Signature over
// the timestamp and body), with the links and commands to answer it. The
// links are the console's page of the request (after sign-in) and the API
// routes, which need an approver's token: a notification can prompt an
// answer, never give one.
type accessWebhook struct {
	url    string
	secret []byte
	base   string // the server's public URL, for links
	client *http.Client
	logger *slog.Logger
}

// accessNotification is the body of one notification.
type accessNotification struct {
	Event   string                `json:"event"` // access.pending or access.break_glass
	Request *warden.AccessRequest `json:"request"`
	Links   map[string]string     `json:"links"`
	Answer  []string              `json:"answer"` // the CLI commands that answer it
}

// NotifyAccess implements access.Notifier; delivery runs in the
// background with a few retries and never blocks the request.
func (w *accessWebhook) NotifyAccess(ctx context.Context, event string, r *warden.AccessRequest) {
	reqURL := w.base + "/v1/access/requests/" + r.ID
	n := accessNotification{Event: "access." + event, Request: r, Links: map[string]string{
		"console": w.base + "/ui/access/" + r.ID, // sign in, then answer there
		"request": reqURL,
	}}
	switch event {
	case "pending":
		n.Links["approve"], n.Links["deny"] = reqURL+"/approve", reqURL+"/deny"
		n.Answer = []string{"warden access approve " + r.ID, "warden access deny " + r.ID}
	case "break_glass":
		n.Links["review"] = reqURL + "/review"
		n.Answer = []string{"warden access review " + r.ID + " --outcome justified|unjustified"}
	}
	body, err := json.Marshal(n)
	if err != nil {
		w.logger.Error("encode access notification", "request", r.ID, "error", err)
		return
	}
	go w.deliver(context.WithoutCancel(ctx), r.ID, body)
}

func (w *accessWebhook) deliver(ctx context.Context, id string, body []byte) {
	backoff := time.Second
	for attempt := 1; attempt <= 3; attempt++ {
		err := w.post(ctx, body)
		if err == nil {
			return
		}
		w.logger.Warn("access notification failed", "request", id, "attempt", attempt, "error", err)
		time.Sleep(backoff)
		backoff *= 2
	}
}

func (w *accessWebhook) post(ctx context.Context, body []byte) error {
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
