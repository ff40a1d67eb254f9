package main

import (
	"context"
	"encoding/json"

	"github.com/warden-nhi/warden"
)

// onboardWebhook tells approvers and owners about onboarding requests by
// webhook: a JSON notification signed like the monitor's alerts
// (X-Warden-Signature over the timestamp and body), with the links and
// commands to answer a pending one. The API links need an approver's
// token: a notification can prompt an answer, never give one.
type onboardWebhook struct {
	hook *signedWebhook
	base string // the server's public URL, for links
}

// onboardNotification is the body of one notification.
type onboardNotification struct {
	Event   string                    `json:"event"` // onboarding.pending, onboarding.approved or onboarding.denied
	Request *warden.OnboardingRequest `json:"request"`
	Links   map[string]string         `json:"links"`
	Answer  []string                  `json:"answer,omitempty"` // the CLI commands that answer it
}

// NotifyOnboarding implements onboard.Notifier; delivery runs in the
// background with a few retries and never blocks the request.
func (w *onboardWebhook) NotifyOnboarding(ctx context.Context, event string, r *warden.OnboardingRequest) {
	reqURL := w.base + "/v1/onboarding/requests/" + r.ID
	n := onboardNotification{Event: "onboarding." + event, Request: r, Links: map[string]string{"request": reqURL}}
	switch event {
	case string(warden.OnboardPending):
		n.Links["approve"], n.Links["deny"] = reqURL+"/approve", reqURL+"/deny"
		n.Answer = []string{"warden onboard approve " + r.ID, "warden onboard deny " + r.ID}
	case string(warden.OnboardApproved):
		if r.IdentityID != "" {
			n.Links["identity"] = w.base + "/v1/identities/" + r.IdentityID
		}
	}
	body, err := json.Marshal(n)
	if err != nil {
		w.hook.logger.Error("encode onboarding notification", "request", r.ID, "error", err)
		return
	}
	w.hook.send(ctx, "onboarding "+r.ID, body)
}
