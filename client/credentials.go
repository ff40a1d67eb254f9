package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
)

var _ warden.CredentialService = (*Client)(nil)

// FindCredentialByID fetches one credential.
func (c *Client) FindCredentialByID(ctx context.Context, id string) (*warden.Credential, error) {
	var out warden.Credential
	if err := c.do(ctx, "GET", "/v1/credentials/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindCredentials fetches one page of credentials and the next cursor ("" on
// the last page). Credentials follows all pages.
func (c *Client) FindCredentials(ctx context.Context, f warden.CredentialFilter) ([]*warden.Credential, string, error) {
	q := url.Values{}
	set(q, "identity_id", f.IdentityID)
	set(q, "type", string(f.Type))
	set(q, "status", string(f.Status))
	set(q, "public_id", f.PublicID)
	set(q, "fingerprint", f.Fingerprint)
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.Credential]
	if err := c.do(ctx, "GET", "/v1/credentials", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// Credentials iterates over every credential matching f.
func (c *Client) Credentials(ctx context.Context, f warden.CredentialFilter) iter.Seq2[*warden.Credential, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.Credential, string, error) {
		f.Cursor = cursor
		return c.FindCredentials(ctx, f)
	})
}

// credentialCreate is the body of POST /v1/identities/{ref}/credentials.
type credentialCreate struct {
	Type          warden.CredentialType   `json:"type"`
	PublicID      string                  `json:"public_id,omitempty"`
	Fingerprint   string                  `json:"fingerprint,omitempty"`
	Description   string                  `json:"description,omitempty"`
	Status        warden.CredentialStatus `json:"status,omitempty"`
	ExpiresAt     *time.Time              `json:"expires_at,omitempty"`
	LastRotatedAt *time.Time              `json:"last_rotated_at,omitempty"`
	LastUsedAt    *time.Time              `json:"last_used_at,omitempty"`
}

// CreateCredential records a credential for the identity cred.IdentityID
// and, on success, overwrites *cred with the stored record.
func (c *Client) CreateCredential(ctx context.Context, cred *warden.Credential) error {
	if cred.IdentityID == "" {
		return warden.FieldErrorf("identity_id", "identity_id is required")
	}
	body := credentialCreate{
		Type: cred.Type, PublicID: cred.PublicID, Fingerprint: cred.Fingerprint,
		Description: cred.Description, Status: cred.Status, ExpiresAt: cred.ExpiresAt,
		LastRotatedAt: cred.LastRotatedAt, LastUsedAt: cred.LastUsedAt,
	}
	var out warden.Credential
	if err := c.do(ctx, "POST", identityPath(cred.IdentityID)+"/credentials", nil, body, &out); err != nil {
		return err
	}
	*cred = out
	return nil
}

// UpdateCredential changes a credential's metadata; only the fields set in
// upd are sent.
func (c *Client) UpdateCredential(ctx context.Context, id string, upd warden.CredentialUpdate) (*warden.Credential, error) {
	var out warden.Credential
	if err := c.do(ctx, "PATCH", "/v1/credentials/"+url.PathEscape(id), nil, upd, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
