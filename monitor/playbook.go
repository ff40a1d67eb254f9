package monitor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/warden-nhi/warden"
)

// Response actions a playbook rule may take.
const (
	ActionAlert      = "alert"      // send the detection to the alert sinks
	ActionQuarantine = "quarantine" // set the identity quarantined: the PDP denies it
	ActionRevoke     = "revoke"     // revoke every live credential warden issued to it
	ActionDisable    = "disable"    // set the identity disabled
)

var actions = []string{ActionAlert, ActionQuarantine, ActionRevoke, ActionDisable}

// Playbook is the response policy: rules matched against each detection,
// all matching rules' actions taken. With DryRun, actions are recorded on
// the detection as "dry-run:ACTION" but nothing changes and nothing is
// alerted.
type Playbook struct {
	DryRun bool   `json:"dry_run"`
	Rules  []Rule `json:"rules"`
}

// Rule matches detections by detector, severity and identity.
type Rule struct {
	Name        string          `json:"name"`
	Detectors   []string        `json:"detectors"`    // empty: any detector
	MinSeverity warden.Severity `json:"min_severity"` // "": any severity
	Select      Selector        `json:"select"`
	Actions     []string        `json:"actions"`
}

// Selector narrows a rule to identities. Empty fields match everything;
// fields other than Providers and Identities need the identity to be in
// the inventory.
type Selector struct {
	Providers    []warden.Provider     `json:"providers"`
	Kinds        []warden.IdentityKind `json:"kinds"`
	Environments []string              `json:"environments"`
	Labels       map[string]string     `json:"labels"`     // every pair must match
	Identities   []string              `json:"identities"` // external ids or warden ids
}

// ParsePlaybook decodes a playbook strictly (unknown fields are errors)
// and validates it; errors are EINVALID naming the field, e.g.
// "rules[1].actions[0]".
func ParsePlaybook(data []byte) (*Playbook, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Playbook
	if err := dec.Decode(&p); err != nil {
		return nil, warden.Errorf(warden.EINVALID, "playbook: %v", err)
	}
	if dec.More() {
		return nil, warden.Errorf(warden.EINVALID, "playbook: data after the playbook object")
	}
	return &p, p.Validate()
}

// Validate checks every rule.
func (p *Playbook) Validate() error {
	if len(p.Rules) > 1000 {
		return warden.FieldErrorf("rules", "at most 1000 rules, got %d", len(p.Rules))
	}
	for i, r := range p.Rules {
		at := fmt.Sprintf("rules[%d]", i)
		if r.Name == "" || len(r.Name) > 128 {
			return warden.FieldErrorf(at+".name", "%s.name must be 1-128 bytes", at)
		}
		for j, d := range r.Detectors {
			if DetectorByID(d) == nil {
				return warden.FieldErrorf(fmt.Sprintf("%s.detectors[%d]", at, j), "unknown detector %q", d)
			}
		}
		if r.MinSeverity != "" && !r.MinSeverity.Valid() {
			return warden.FieldErrorf(at+".min_severity", "severity %q is not valid", r.MinSeverity)
		}
		if len(r.Actions) == 0 {
			return warden.FieldErrorf(at+".actions", "%s needs at least one action", at)
		}
		for j, a := range r.Actions {
			if !slices.Contains(actions, a) {
				return warden.FieldErrorf(fmt.Sprintf("%s.actions[%d]", at, j), "action %q is not one of alert, quarantine, revoke, disable", a)
			}
		}
		for j, k := range r.Select.Kinds {
			if !k.Valid() {
				return warden.FieldErrorf(fmt.Sprintf("%s.select.kinds[%d]", at, j), "kind %q is not valid", k)
			}
		}
		if err := warden.ValidateLabels(r.Select.Labels); err != nil {
			return warden.FieldErrorf(at+".select.labels", "%s", warden.ErrorMessage(err))
		}
	}
	return nil
}

// matches reports whether the rule applies to d about identity id (nil
// when the actor is not in the inventory).
func (r *Rule) matches(d *warden.Detection, id *warden.Identity) bool {
	if len(r.Detectors) > 0 && !slices.Contains(r.Detectors, d.Detector) {
		return false
	}
	if r.MinSeverity != "" && d.Severity.Rank() < r.MinSeverity.Rank() {
		return false
	}
	s := &r.Select
	if len(s.Providers) > 0 && !slices.Contains(s.Providers, d.Provider) {
		return false
	}
	if len(s.Identities) > 0 && !slices.Contains(s.Identities, d.Identity) && (id == nil || !slices.Contains(s.Identities, id.ID)) {
		return false
	}
	if len(s.Kinds) == 0 && len(s.Environments) == 0 && len(s.Labels) == 0 {
		return true
	}
	if id == nil {
		return false
	}
	if len(s.Kinds) > 0 && !slices.Contains(s.Kinds, id.Kind) || len(s.Environments) > 0 && !slices.Contains(s.Environments, id.Environment) {
		return false
	}
	for k, v := range s.Labels {
		if got, ok := id.Labels[k]; !ok || (v != "" && got != v) {
			return false
		}
	}
	return true
}
