package main

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/review"
)

// reviewWebhook tells owners about their pending review items and the
// escalation contact about items past their due date, by webhook: a JSON
// notification signed like the monitor's alerts (X-Warden-Signature over
// the timestamp and body), delivered by the shared signed sender. It
// carries the links and commands to answer; the links
// need a token with review:answer, so a notification prompts an answer,
// never gives one.
type reviewWebhook struct {
	hook *signedWebhook
	base string // the server's public URL, for links
}

// reviewNotification is the body of one notification.
type reviewNotification struct {
	Event    string                 `json:"event"` // review.reminder or review.escalated
	To       string                 `json:"to"`    // the owner or escalation contact ("" for unowned identities)
	Campaign *warden.ReviewCampaign `json:"campaign"`
	Items    []*warden.ReviewItem   `json:"items"`
	Links    map[string]string      `json:"links"`
	Answer   []string               `json:"answer"` // the CLI commands that answer the items
}

// NotifyReview implements review.Notifier; delivery runs in the
// background with a few retries and never blocks the sweep.
func (w *reviewWebhook) NotifyReview(ctx context.Context, n review.Notification) {
	base := w.base + "/v1/reviews/" + url.PathEscape(n.Campaign.ID)
	body := reviewNotification{Event: n.Event, To: n.To, Campaign: n.Campaign, Items: n.Items, Links: map[string]string{"campaign": base}}
	if n.Event == review.EventReminder {
		body.Links["items"] = base + "/items?open=true&owner=" + url.QueryEscape(n.To)
	} else {
		body.Links["items"] = base + "/items?status=escalated"
	}
	for _, it := range n.Items {
		body.Answer = append(body.Answer, "warden review answer "+it.ID+" keep|reduce|remove")
	}
	b, err := json.Marshal(body)
	if err != nil {
		w.hook.logger.Error("encode review notification", "campaign", n.Campaign.ID, "error", err)
		return
	}
	w.hook.send(ctx, n.Event+" "+n.Campaign.ID, b)
}
