package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"

	"github.com/warden-nhi/warden"
)

// ControlInfo describes one control that runs in monitor or enforce mode.
type ControlInfo struct {
	Control     warden.Control         `json:"control"`
	DefaultMode warden.EnforcementMode `json:"default_mode"`
	Description string                 `json:"description"`
}

// Enforcement is the controls with their default modes, and the settings.
type Enforcement struct {
	Controls []ControlInfo                `json:"controls"`
	Settings []*warden.EnforcementSetting `json:"settings"`
}

// Enforcement fetches the controls and the mode settings.
func (c *Client) Enforcement(ctx context.Context) (*Enforcement, error) {
	var out Enforcement
	if err := c.do(ctx, "GET", "/v1/enforcement", nil, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetEnforcementMode sets the mode of control for scope ("" for all);
// the change is audited.
func (c *Client) SetEnforcementMode(ctx context.Context, control warden.Control, scope string, mode warden.EnforcementMode) (*warden.EnforcementSetting, error) {
	var out warden.EnforcementSetting
	body := map[string]string{"control": string(control), "scope": scope, "mode": string(mode)}
	if err := c.do(ctx, "POST", "/v1/enforcement/settings", nil, body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// UnsetEnforcementMode removes the setting of control for scope.
func (c *Client) UnsetEnforcementMode(ctx context.Context, control warden.Control, scope string) error {
	q := url.Values{}
	set(q, "scope", scope)
	return c.do(ctx, "DELETE", "/v1/enforcement/settings/"+url.PathEscape(string(control)), q, nil, nil)
}

// EnforcementEventQuery selects enforcement events; Identity may be an
// id or an external id.
type EnforcementEventQuery struct {
	Control  warden.Control
	Identity string
	Enforced *bool
	Cursor   string
	Limit    int
}

// FindEnforcementEvents fetches one page of what the automatic governance
// actions did or would have done, newest first, and the next cursor.
func (c *Client) FindEnforcementEvents(ctx context.Context, f EnforcementEventQuery) ([]*warden.EnforcementEvent, string, error) {
	q := url.Values{}
	set(q, "control", string(f.Control))
	set(q, "identity", f.Identity)
	if f.Enforced != nil {
		q.Set("enforced", strconv.FormatBool(*f.Enforced))
	}
	set(q, "cursor", f.Cursor)
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out listResponse[*warden.EnforcementEvent]
	if err := c.do(ctx, "GET", "/v1/enforcement/events", q, nil, &out); err != nil {
		return nil, "", err
	}
	return out.Items, out.NextCursor, nil
}

// EnforcementEvents iterates over every enforcement event matching f.
func (c *Client) EnforcementEvents(ctx context.Context, f EnforcementEventQuery) iter.Seq2[*warden.EnforcementEvent, error] {
	return paginate(ctx, f.Cursor, func(ctx context.Context, cursor string) ([]*warden.EnforcementEvent, string, error) {
		f.Cursor = cursor
		return c.FindEnforcementEvents(ctx, f)
	})
}
