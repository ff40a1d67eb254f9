package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/warden-nhi/warden"
)

var _ warden.AuditService = (*Client)(nil)

// FindAuditRecords fetches one page of audit records, oldest first (newest
// first with f.Newest), and the next cursor ("" on the last page).
// AuditRecords follows all pages.
func (c *Client) FindAuditRecords(ctx context.Context, f warden.AuditFilter) ([]*warden.AuditRecord, string, error) {
	q := url.Values{}
	set(q, "actor", f.Actor)
	set(q, "action", f.Action)
	set(q, "target_type", f.TargetType)
	set(q, "target_id", f.TargetID)
	if f.Newest {
		q.Set("order", "newest")
	}
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.AuditRecord]
	if err := c.do(ctx, "GET", "/v1/audit", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// AuditRecords iterates over every audit record matching f, in f's order.
func (c *Client) AuditRecords(ctx context.Context, f warden.AuditFilter) iter.Seq2[*warden.AuditRecord, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.AuditRecord, string, error) {
		f.Cursor = cursor
		return c.FindAuditRecords(ctx, f)
	})
}

// VerifyAudit asks the server to walk the audit hash chain.
func (c *Client) VerifyAudit(ctx context.Context) (*warden.AuditVerification, error) {
	var out warden.AuditVerification
	if err := c.do(ctx, "GET", "/v1/audit/verify", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
