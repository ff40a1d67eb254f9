package main

import (
	"context"
	"encoding/json"

	"github.com/warden-nhi/warden"
)

// accessWebhook tells approvers about access requests by webhook: a JSON
// notification, signed like the monitor's alerts (X-Warden-Signature over
// the timestamp and body), with the links and commands to answer it. The
// links are the console's page of the request (after sign-in) and the API
// routes, which need an approver's token: a notification can prompt an
// answer, never give one.
type accessWebhook struct {
	hook *signedWebhook
	base string // the server's public URL, for links
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
		w.hook.logger.Error("encode access notification", "request", r.ID, "error", err)
		return
	}
	w.hook.send(ctx, "access "+r.ID, body)
}
