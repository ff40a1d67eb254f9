package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
)

// FindingQuery selects findings over the API: a warden.FindingFilter whose
// identity may be given as an id or an external id.
type FindingQuery struct {
	warden.FindingFilter
	Identity string          // identity id or external id; "" for all
	Provider warden.Provider // narrows an external id
}

// FindFindings fetches one page of findings and the next cursor.
func (c *Client) FindFindings(ctx context.Context, f FindingQuery) ([]*warden.Finding, string, error) {
	q := url.Values{}
	set(q, "rule", f.RuleID)
	set(q, "severity", string(f.Severity))
	set(q, "owasp", f.OWASP)
	set(q, "status", string(f.Status))
	set(q, "source", f.Source)
	set(q, "identity", f.Identity)
	set(q, "provider", string(f.Provider))
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.Finding]
	if err := c.do(ctx, "GET", "/v1/findings", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// Findings iterates over every finding matching f.
func (c *Client) Findings(ctx context.Context, f FindingQuery) iter.Seq2[*warden.Finding, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.Finding, string, error) {
		f.Cursor = cursor
		return c.FindFindings(ctx, f)
	})
}

// FindFindingByID fetches one finding.
func (c *Client) FindFindingByID(ctx context.Context, id string) (*warden.Finding, error) {
	var out warden.Finding
	if err := c.do(ctx, "GET", "/v1/findings/"+url.PathEscape(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SuppressFinding accepts a finding's risk with a reason until a time.
func (c *Client) SuppressFinding(ctx context.Context, id, reason string, until time.Time) (*warden.Finding, error) {
	body := struct {
		Reason string    `json:"reason"`
		Until  time.Time `json:"until"`
	}{reason, until}
	var out warden.Finding
	if err := c.do(ctx, "POST", "/v1/findings/"+url.PathEscape(id)+"/suppress", nil, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UnsuppressFinding ends a suppression early.
func (c *Client) UnsuppressFinding(ctx context.Context, id string) (*warden.Finding, error) {
	var out warden.Finding
	if err := c.do(ctx, "POST", "/v1/findings/"+url.PathEscape(id)+"/unsuppress", nil, struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Evaluate runs the governance rules on the server now.
func (c *Client) Evaluate(ctx context.Context) (*warden.EvaluationResult, error) {
	var out warden.EvaluationResult
	if err := c.do(ctx, "POST", "/v1/governance/evaluate", nil, struct{}{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RuleCatalog is the body of GET /v1/governance/rules.
type RuleCatalog struct {
	Items []warden.GovernanceRule `json:"items"`
	OWASP map[string]string       `json:"owasp"`
}

// GovernanceRules fetches the rule catalog.
func (c *Client) GovernanceRules(ctx context.Context) (*RuleCatalog, error) {
	var out RuleCatalog
	if err := c.do(ctx, "GET", "/v1/governance/rules", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Report fetches the governance report.
func (c *Client) Report(ctx context.Context) (*warden.Report, error) {
	var out warden.Report
	if err := c.do(ctx, "GET", "/v1/governance/report", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Posture is the body of GET /v1/posture.
type Posture struct {
	Latest *warden.PostureSnapshot   `json:"latest"`
	Series []*warden.PostureSnapshot `json:"series"`
}

// Posture fetches the posture series, newest first.
func (c *Client) Posture(ctx context.Context, f warden.PostureFilter) (*Posture, error) {
	q := url.Values{}
	if f.Since != nil {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if f.Until != nil {
		q.Set("until", f.Until.UTC().Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out Posture
	if err := c.do(ctx, "GET", "/v1/posture", q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
