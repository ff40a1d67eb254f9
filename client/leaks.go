package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/warden-nhi/warden"
)

var _ warden.LeakService = (*Client)(nil)

// leakReport is the body of POST /v1/leaks.
type leakReport struct {
	Leaks []*leakItem `json:"leaks"`
}

// leakItem is one reported leak: fingerprints, location and the redacted
// preview. The fields the server owns (id, correlation, times) are not sent.
type leakItem struct {
	Fingerprint    string                `json:"fingerprint"`
	Rule           string                `json:"rule"`
	Type           warden.CredentialType `json:"type,omitempty"`
	Source         string                `json:"source,omitempty"`
	File           string                `json:"file,omitempty"`
	Line           int                   `json:"line,omitempty"`
	Commit         string                `json:"commit,omitempty"`
	Author         string                `json:"author,omitempty"`
	PublicID       string                `json:"public_id,omitempty"`
	KeyFingerprint string                `json:"key_fingerprint,omitempty"`
	Preview        string                `json:"preview,omitempty"`
}

// RecordLeaks reports leaks to the server, which correlates them with the
// inventory and stores them; each leak is replaced by the server's record
// (id, identity, blast radius, first and last seen).
func (c *Client) RecordLeaks(ctx context.Context, leaks []*warden.Leak) error {
	body := leakReport{Leaks: make([]*leakItem, len(leaks))}
	for i, l := range leaks {
		body.Leaks[i] = &leakItem{
			Fingerprint: l.Fingerprint, Rule: l.Rule, Type: l.Type, Source: l.Source, File: l.File, Line: l.Line,
			Commit: l.Commit, Author: l.Author, PublicID: l.PublicID, KeyFingerprint: l.KeyFingerprint, Preview: l.Preview,
		}
	}
	var out listResponse[*warden.Leak]
	if err := c.do(ctx, "POST", "/v1/leaks", nil, body, &out); err != nil {
		return err
	}
	for i := range leaks {
		if i < len(out.Items) && out.Items[i] != nil {
			*leaks[i] = *out.Items[i]
		}
	}
	return nil
}

// FindLeaks fetches one page of leaks and the next cursor.
func (c *Client) FindLeaks(ctx context.Context, f warden.LeakFilter) ([]*warden.Leak, string, error) {
	q := url.Values{}
	set(q, "identity_id", f.IdentityID)
	set(q, "rule", f.Rule)
	set(q, "fingerprint", f.Fingerprint)
	set(q, "source", f.Source)
	set(q, "cursor", f.Cursor)
	if f.Correlated != nil {
		q.Set("correlated", strconv.FormatBool(*f.Correlated))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.Leak]
	if err := c.do(ctx, "GET", "/v1/leaks", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// Leaks iterates over every leak matching f.
func (c *Client) Leaks(ctx context.Context, f warden.LeakFilter) iter.Seq2[*warden.Leak, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.Leak, string, error) {
		f.Cursor = cursor
		return c.FindLeaks(ctx, f)
	})
}
