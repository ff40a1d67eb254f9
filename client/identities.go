package client

import (
	"context"
	"iter"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
)

var _ warden.IdentityService = (*Client)(nil)

// identityPath is the escaped path of one identity; ref may be an id or an
// external id such as an ARN, whose '/' must stay inside the segment.
func identityPath(ref string) string { return "/v1/identities/" + url.PathEscape(ref) }

func providerQuery(provider warden.Provider) url.Values {
	if provider == "" {
		return nil
	}
	return url.Values{"provider": {string(provider)}}
}

// FindIdentityByID fetches one identity by its warden id.
func (c *Client) FindIdentityByID(ctx context.Context, id string) (*warden.Identity, error) {
	return c.FindIdentityByRef(ctx, id, "")
}

// FindIdentityByRef fetches one identity by id or external id; provider
// narrows an external id that several providers share.
func (c *Client) FindIdentityByRef(ctx context.Context, ref string, provider warden.Provider) (*warden.Identity, error) {
	var out warden.Identity
	if err := c.do(ctx, "GET", identityPath(ref), providerQuery(provider), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindIdentities fetches one page of identities and the cursor of the next
// page ("" on the last one). Identities follows all pages.
func (c *Client) FindIdentities(ctx context.Context, f warden.IdentityFilter) ([]*warden.Identity, string, error) {
	var out listResponse[*warden.Identity]
	if err := c.do(ctx, "GET", "/v1/identities", identityQuery(f), nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// Identities iterates over every identity matching f, fetching pages of
// f.Limit (the server's default when 0) as it goes. Iteration stops at the
// first error, which is yielded with a nil identity.
func (c *Client) Identities(ctx context.Context, f warden.IdentityFilter) iter.Seq2[*warden.Identity, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.Identity, string, error) {
		f.Cursor = cursor
		return c.FindIdentities(ctx, f)
	})
}

func identityQuery(f warden.IdentityFilter) url.Values {
	q := url.Values{}
	set(q, "kind", string(f.Kind))
	set(q, "provider", string(f.Provider))
	set(q, "owner", f.Owner)
	if f.Unowned {
		q.Set("unowned", "true")
	}
	set(q, "status", string(f.Status))
	set(q, "environment", f.Environment)
	if f.Managed != nil {
		q.Set("managed", strconv.FormatBool(*f.Managed))
	}
	keys := make([]string, 0, len(f.Labels))
	for k := range f.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := f.Labels[k]; v != "" {
			q.Add("label", k+"="+v)
		} else {
			q.Add("label", k)
		}
	}
	set(q, "q", f.Query)
	if f.MinRisk > 0 {
		q.Set("min_risk", strconv.Itoa(f.MinRisk))
	}
	set(q, "sort", f.Sort)
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// identityCreate is the body of POST /v1/identities: the fields a caller
// may set, and nothing the server assigns.
type identityCreate struct {
	Kind         warden.IdentityKind `json:"kind"`
	Provider     warden.Provider     `json:"provider"`
	ExternalID   string              `json:"external_id"`
	Name         string              `json:"name"`
	Owner        string              `json:"owner,omitempty"`
	Purpose      string              `json:"purpose,omitempty"`
	Environment  string              `json:"environment,omitempty"`
	Labels       map[string]string   `json:"labels,omitempty"`
	Status       warden.Status       `json:"status,omitempty"`
	StatusReason string              `json:"status_reason,omitempty"`
	Managed      bool                `json:"managed"`
	NextReviewAt *time.Time          `json:"next_review_at,omitempty"`
	FirstSeenAt  *time.Time          `json:"first_seen_at,omitempty"`
	LastUsedAt   *time.Time          `json:"last_used_at,omitempty"`
}

// CreateIdentity creates the identity on the server and, on success,
// overwrites *identity with the stored record (id, timestamps, defaults).
func (c *Client) CreateIdentity(ctx context.Context, identity *warden.Identity) error {
	body := identityCreate{
		Kind: identity.Kind, Provider: identity.Provider, ExternalID: identity.ExternalID,
		Name: identity.Name, Owner: identity.Owner, Purpose: identity.Purpose,
		Environment: identity.Environment, Labels: identity.Labels, Status: identity.Status,
		StatusReason: identity.StatusReason, Managed: identity.Managed,
		NextReviewAt: identity.NextReviewAt, FirstSeenAt: identity.FirstSeenAt, LastUsedAt: identity.LastUsedAt,
	}
	var out warden.Identity
	if err := c.do(ctx, "POST", "/v1/identities", nil, body, &out); err != nil {
		return err
	}
	*identity = out
	return nil
}

// UpdateIdentity applies upd to the identity with the id.
func (c *Client) UpdateIdentity(ctx context.Context, id string, upd warden.IdentityUpdate) (*warden.Identity, error) {
	return c.UpdateIdentityByRef(ctx, id, "", upd)
}

// UpdateIdentityByRef applies upd to the identity named by id or external
// id. Only the fields set in upd are sent; ClearNextReview sends
// "next_review_at": null.
func (c *Client) UpdateIdentityByRef(ctx context.Context, ref string, provider warden.Provider, upd warden.IdentityUpdate) (*warden.Identity, error) {
	var out warden.Identity
	if err := c.do(ctx, "PATCH", identityPath(ref), providerQuery(provider), identityPatch(upd), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// identityPatch renders an update as a JSON merge-style object holding only
// the fields that change.
func identityPatch(u warden.IdentityUpdate) map[string]any {
	m := map[string]any{}
	setPtr(m, "name", u.Name)
	setPtr(m, "owner", u.Owner)
	setPtr(m, "purpose", u.Purpose)
	setPtr(m, "environment", u.Environment)
	setPtr(m, "labels", u.Labels)
	setPtr(m, "status", u.Status)
	setPtr(m, "status_reason", u.StatusReason)
	setPtr(m, "managed", u.Managed)
	switch {
	case u.ClearNextReview:
		m["next_review_at"] = nil
	case u.NextReviewAt != nil:
		m["next_review_at"] = *u.NextReviewAt
	}
	return m
}

// DeprovisionIdentity deprovisions the identity with the id.
func (c *Client) DeprovisionIdentity(ctx context.Context, id, reason string) (*warden.Identity, error) {
	return c.DeprovisionIdentityByRef(ctx, id, "", reason)
}

// DeprovisionIdentityByRef deprovisions the identity named by id or
// external id, recording the reason.
func (c *Client) DeprovisionIdentityByRef(ctx context.Context, ref string, provider warden.Provider, reason string) (*warden.Identity, error) {
	var out warden.Identity
	body := map[string]string{"reason": reason}
	if err := c.do(ctx, "POST", identityPath(ref)+"/deprovision", providerQuery(provider), body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func set(q url.Values, key, value string) {
	if value != "" {
		q.Set(key, value)
	}
}

func setPtr[T any](m map[string]any, key string, v *T) {
	if v != nil {
		m[key] = *v
	}
}
