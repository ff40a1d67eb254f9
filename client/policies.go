package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// Authorize asks the decision point for one decision.
func (c *Client) Authorize(ctx context.Context, req *policy.Request) (*policy.Decision, error) {
	var d policy.Decision
	if err := c.do(ctx, "POST", "/v1/authorize", nil, req, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// PushPolicies stores a new, inactive policy version. An invalid version
// is refused with EINVALID listing each problem with its position.
func (c *Client) PushPolicies(ctx context.Context, v *warden.PolicyVersion) (*warden.PolicyVersion, error) {
	body := map[string]any{"description": v.Description, "policies": v.Policies, "schema": v.Schema, "disabled_guardrails": nonNilStrings(v.DisabledGuardrails)}
	var out warden.PolicyVersion
	if err := c.do(ctx, "POST", "/v1/policies", nil, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// FindPolicyVersions lists policy versions, newest first.
func (c *Client) FindPolicyVersions(ctx context.Context) ([]*warden.PolicyVersion, error) {
	var out struct {
		Items []*warden.PolicyVersion `json:"items"`
	}
	if err := c.do(ctx, "GET", "/v1/policies", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// ActivatePolicyVersion activates a version on every replica.
func (c *Client) ActivatePolicyVersion(ctx context.Context, version int64) (*warden.PolicyActivation, error) {
	var out warden.PolicyActivation
	if err := c.do(ctx, "POST", "/v1/policies/"+strconv.FormatInt(version, 10)+"/activate", nil, map[string]any{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RollbackPolicyVersion re-activates the previously active version.
func (c *Client) RollbackPolicyVersion(ctx context.Context) (*warden.PolicyActivation, error) {
	var out warden.PolicyActivation
	if err := c.do(ctx, "POST", "/v1/policies/rollback", nil, map[string]any{}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindPolicyEntities lists the stored policy entities.
func (c *Client) FindPolicyEntities(ctx context.Context) ([]*warden.PolicyEntity, error) {
	var out struct {
		Items []*warden.PolicyEntity `json:"items"`
	}
	if err := c.do(ctx, "GET", "/v1/entities", nil, nil, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// FindDecisions returns a page of logged decisions, newest first.
func (c *Client) FindDecisions(ctx context.Context, f warden.DecisionFilter) ([]*warden.DecisionRecord, string, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("identity", f.IdentityID)
	set("decision", f.Decision)
	set("action", f.Action)
	set("cursor", f.Cursor)
	if f.WouldDeny {
		q.Set("would_deny", "true")
	}
	if f.Since != nil {
		q.Set("since", f.Since.UTC().Format(time.RFC3339))
	}
	if f.Until != nil {
		q.Set("until", f.Until.UTC().Format(time.RFC3339))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out struct {
		Items      []*warden.DecisionRecord `json:"items"`
		NextCursor string                   `json:"next_cursor"`
	}
	if err := c.do(ctx, "GET", "/v1/decisions", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// Decisions iterates over every logged decision matching f, page by page.
func (c *Client) Decisions(ctx context.Context, f warden.DecisionFilter) iter.Seq2[*warden.DecisionRecord, error] {
	return func(yield func(*warden.DecisionRecord, error) bool) {
		for {
			page, next, err := c.FindDecisions(ctx, f)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, d := range page {
				if !yield(d, nil) {
					return
				}
			}
			if next == "" {
				return
			}
			f.Cursor = next
		}
	}
}
