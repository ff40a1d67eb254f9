package client

import (
	"context"
	"net/url"

	"github.com/warden-nhi/warden"
)

// FindRegistrationEntries lists the issuer's registration entries, oldest
// first; method narrows the list when non-empty.
func (c *Client) FindRegistrationEntries(ctx context.Context, method string) ([]*warden.RegistrationEntry, error) {
	q := url.Values{}
	if method != "" {
		q.Set("method", method)
	}
	var out listResponse[*warden.RegistrationEntry]
	if err := c.do(ctx, "GET", "/v1/issuer/entries", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// FindRegistrationEntryByID returns one registration entry.
func (c *Client) FindRegistrationEntryByID(ctx context.Context, id string) (*warden.RegistrationEntry, error) {
	var out warden.RegistrationEntry
	if err := c.do(ctx, "GET", "/v1/issuer/entries/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateRegistrationEntry creates the entry; the server fills its id and
// times into e.
func (c *Client) CreateRegistrationEntry(ctx context.Context, e *warden.RegistrationEntry) error {
	body := map[string]any{"spiffe_id": e.SPIFFEID, "identity_id": e.IdentityID, "method": e.Method,
		"audiences": e.Audiences, "scopes": e.Scopes, "x509_ttl": e.X509TTL, "jwt_ttl": e.JWTTTL}
	if e.OIDCIssuer != "" {
		body["oidc_issuer"] = e.OIDCIssuer
	}
	if len(e.Selectors) > 0 {
		body["selectors"] = e.Selectors
	}
	if e.Audiences == nil {
		body["audiences"] = []string{}
	}
	if e.Scopes == nil {
		body["scopes"] = []string{}
	}
	return c.do(ctx, "POST", "/v1/issuer/entries", nil, body, e)
}

// DeleteRegistrationEntry deletes an entry and revokes what was issued
// under it.
func (c *Client) DeleteRegistrationEntry(ctx context.Context, id string) error {
	return c.do(ctx, "DELETE", "/v1/issuer/entries/"+url.PathEscape(id), nil, nil, nil)
}

// CreatedJoinToken is a join token and its secret, shown only once.
type CreatedJoinToken struct {
	JoinToken *warden.JoinToken `json:"join_token"`
	Secret    string            `json:"secret"`
}

// CreateJoinToken makes a one-time join token for a join_token entry.
func (c *Client) CreateJoinToken(ctx context.Context, entryID string, ttl warden.Duration) (*CreatedJoinToken, error) {
	var out CreatedJoinToken
	body := map[string]any{}
	if ttl != 0 {
		body["ttl"] = ttl
	}
	if err := c.do(ctx, "POST", "/v1/issuer/entries/"+url.PathEscape(entryID)+"/join-tokens", nil, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeIssued revokes what r names and returns how many live credentials
// were revoked.
func (c *Client) RevokeIssued(ctx context.Context, r warden.Revocation) (int, error) {
	var out struct {
		Revoked int `json:"revoked"`
	}
	if err := c.do(ctx, "POST", "/v1/issuer/revocations", nil, r, &out); err != nil {
		return 0, err
	}
	return out.Revoked, nil
}
