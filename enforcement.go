package warden

import (
	"context"
	"strings"
	"time"
)

// EnforcementMode says whether a control acts or only reports. In monitor
// mode warden records what the control would have blocked or disabled and
// tells the identity's owner, so teams fix things before the control is
// switched on; promoting a control to enforce is an audited change.
type EnforcementMode string

// Enforcement modes.
const (
	ModeMonitor EnforcementMode = "monitor"
	ModeEnforce EnforcementMode = "enforce"
)

// Valid reports whether m is monitor or enforce.
func (m EnforcementMode) Valid() bool { return m == ModeMonitor || m == ModeEnforce }

// Control names a control that can run in monitor or enforce mode: the
// policy set of the decision point, or one automatic governance action.
type Control string

// Controls.
const (
	// ControlPolicy is the decision point's policy set (the user's
	// policies; the guardrails against quarantined, disabled or revoked
	// principals always enforce).
	ControlPolicy Control = "policy"
	// ControlDisableInactive disables identities unused for longer than
	// the inactivity limit.
	ControlDisableInactive Control = "disable-inactive"
	// ControlDisableReviewExpired disables identities whose review went
	// unanswered past escalation and grace.
	ControlDisableReviewExpired Control = "disable-review-expired"
	// ControlDisableOffboarded disables identities a departed person owned
	// that are still unowned when the reassignment period ends.
	ControlDisableOffboarded Control = "disable-offboarded"
)

// Controls lists every control, in documentation order.
var Controls = []Control{ControlPolicy, ControlDisableInactive, ControlDisableReviewExpired, ControlDisableOffboarded}

// Valid reports whether c is one of Controls.
func (c Control) Valid() bool { return contains(Controls, c) }

// DefaultMode is a control's mode where no setting applies: the policy set
// enforces (it always has); automatic disabling starts in monitor mode,
// so nothing is switched off before someone chose to.
func (c Control) DefaultMode() EnforcementMode {
	if c == ControlPolicy {
		return ModeEnforce
	}
	return ModeMonitor
}

// Enforcement scopes: a setting applies to every identity ("" or "all"),
// to one environment ("environment:prod") or to one team ("team:payments").
const (
	ScopeAll         = "all"
	ScopeEnvironment = "environment"
	ScopeTeam        = "team"
)

// EnforcementSetting sets the mode of one control for one scope.
type EnforcementSetting struct {
	Control   Control         `json:"control"`
	Scope     string          `json:"scope"` // all, environment:NAME or team:NAME
	Mode      EnforcementMode `json:"mode"`
	UpdatedAt time.Time       `json:"updated_at"`
	UpdatedBy string          `json:"updated_by"`
}

// Validate checks the setting and writes its scope in canonical form.
func (s *EnforcementSetting) Validate() error {
	if !s.Control.Valid() {
		return FieldErrorf("control", "control %q is not one of %s", s.Control, joinValues(Controls))
	}
	if !s.Mode.Valid() {
		return FieldErrorf("mode", "mode %q is not monitor or enforce", s.Mode)
	}
	scope, err := ParseEnforcementScope(s.Scope)
	if err != nil {
		return err
	}
	s.Scope = scope
	return nil
}

// ParseEnforcementScope checks a scope and returns it in canonical form
// ("all", "environment:prod", "team:payments").
func ParseEnforcementScope(scope string) (string, error) {
	if scope == "" || scope == ScopeAll {
		return ScopeAll, nil
	}
	kind, value, ok := strings.Cut(scope, ":")
	if !ok || (kind != ScopeEnvironment && kind != ScopeTeam) || value == "" {
		return "", FieldErrorf("scope", "scope %q is not all, environment:NAME or team:NAME", clipText(scope, 64))
	}
	if err := checkText("scope", value, MaxNameLen, true); err != nil {
		return "", err
	}
	if kind == ScopeEnvironment {
		value = strings.ToLower(value)
	}
	return kind + ":" + value, nil
}

// Team is the team an identity belongs to, for team-scoped settings: its
// "team" label, else its owner.
func (i *Identity) Team() string {
	if t := i.Labels["team"]; t != "" {
		return t
	}
	return i.Owner
}

// ResolveEnforcementMode returns the mode of control c for the identity
// and the scope of the setting that decided it ("default" when none
// did). A team setting wins over an environment setting, which wins over
// one for all; identity may be nil (a principal warden does not know),
// in which case only the setting for all applies.
func ResolveEnforcementMode(settings []*EnforcementSetting, c Control, identity *Identity) (EnforcementMode, string) {
	if identity == nil {
		return ResolveEnforcementModeFor(settings, c, "", "")
	}
	return ResolveEnforcementModeFor(settings, c, identity.Team(), identity.Environment)
}

// ResolveEnforcementModeFor is ResolveEnforcementMode for an identity of
// the team and environment given ("" for none).
func ResolveEnforcementModeFor(settings []*EnforcementSetting, c Control, team, environment string) (EnforcementMode, string) {
	best, bestRank := EnforcementMode(""), 0
	scope := "default"
	for _, s := range settings {
		if s.Control != c {
			continue
		}
		rank := 0
		switch {
		case team != "" && strings.HasPrefix(s.Scope, ScopeTeam+":") && s.Scope[len(ScopeTeam)+1:] == team:
			rank = 3
		case environment != "" && strings.HasPrefix(s.Scope, ScopeEnvironment+":") && s.Scope[len(ScopeEnvironment)+1:] == environment:
			rank = 2
		case s.Scope == ScopeAll:
			rank = 1
		}
		if rank > bestRank {
			best, bestRank, scope = s.Mode, rank, s.Scope
		}
	}
	if best == "" {
		return c.DefaultMode(), scope
	}
	return best, scope
}

// EnforcementEvent is one action of an automatic governance control: an
// identity disabled (enforce mode), or what would have been disabled
// (monitor mode). The decision point's would-deny decisions are in the
// decision log instead (DecisionRecord.WouldDeny).
type EnforcementEvent struct {
	ID         string          `json:"id"`
	Time       time.Time       `json:"time"`
	Control    Control         `json:"control"`
	Mode       EnforcementMode `json:"mode"`
	Enforced   bool            `json:"enforced"` // true: done; false: only reported (monitor mode)
	Action     string          `json:"action"`   // "disable"
	IdentityID string          `json:"identity_id"`
	Owner      string          `json:"owner"` // the identity's owner at the time ("" for none)
	Reason     string          `json:"reason"`
	// Ref names what triggered the action: a review item, an offboarding,
	// the inactivity limit.
	Ref string `json:"ref"`
}

// EnforcementEventFilter selects enforcement events, newest first.
type EnforcementEventFilter struct {
	Control    Control
	IdentityID string
	Enforced   *bool
	Since      *time.Time
	Cursor     string
	Limit      int
}

// Validate checks the filter and fills in the default page size.
func (f *EnforcementEventFilter) Validate() error {
	if f.Control != "" && !f.Control.Valid() {
		return FieldErrorf("control", "control %q is not one of %s", f.Control, joinValues(Controls))
	}
	return normaliseLimit(&f.Limit)
}

// EnforcementStore keeps the mode settings (audited) and the events of
// automatic governance actions.
type EnforcementStore interface {
	// PutEnforcementSetting creates or replaces the setting for its control
	// and scope, setting UpdatedAt and UpdatedBy; audited as
	// "enforcement.set" with the mode before and after.
	PutEnforcementSetting(ctx context.Context, s *EnforcementSetting) error
	// DeleteEnforcementSetting removes a setting (the control falls back
	// to a wider scope or its default); ENOTFOUND when none exists.
	DeleteEnforcementSetting(ctx context.Context, c Control, scope string) error
	// FindEnforcementSettings lists every setting, by control and scope.
	FindEnforcementSettings(ctx context.Context) ([]*EnforcementSetting, error)
	// RecordEnforcementEvent stores a monitor-mode report, setting its ID
	// (and Time when zero).
	RecordEnforcementEvent(ctx context.Context, e *EnforcementEvent) error
	// DisableIdentityEnforced disables the identity e names (status
	// disabled, status reason e.Reason), audited as "enforcement.disable",
	// and stores e, in one transaction. It returns the identity after the
	// change, or nil and stores nothing when the identity is already
	// disabled or deprovisioned.
	DisableIdentityEnforced(ctx context.Context, e *EnforcementEvent) (*Identity, error)
	FindEnforcementEvents(ctx context.Context, f EnforcementEventFilter) ([]*EnforcementEvent, string, error)
}

// DisableRequest asks a governance control to disable an identity.
type DisableRequest struct {
	Control    Control
	IdentityID string
	Reason     string // shown to the owner and stored as the status reason
	Ref        string // what triggered it (review item id, offboarding id, ...)
}

// GovernanceActions carries out automatic governance actions in the mode
// the control has for the identity: in enforce mode it disables the
// identity (audited) and records the event; in monitor mode it records
// what it would have done and tells the owner. The returned event says
// which happened. An identity already disabled or deprovisioned is left
// alone and yields a nil event.
type GovernanceActions interface {
	Disable(ctx context.Context, req DisableRequest) (*EnforcementEvent, error)
}
