package monitor

import (
	"context"
	"fmt"
	"slices"

	"github.com/warden-nhi/warden"
)

// Responder carries out a playbook's actions for detections.
type Responder struct {
	Playbook   *Playbook
	Identities warden.IdentityService   // quarantine, disable; nil: identity actions are skipped
	Revoker    warden.CredentialRevoker // revoke; nil: skipped
}

// monitorActor is who the responder's changes are attributed to.
func monitorActor(ctx context.Context, rule string) context.Context {
	return warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "monitor", Name: "playbook " + rule})
}

// Reason is the status reason and revocation reason written for a
// detection: it names the detection so the audit log ties the change to it.
func Reason(d *warden.Detection) string {
	s := fmt.Sprintf("detection %s (%s, %s, %s): %s", d.ID, d.Detector, d.Severity, d.Technique, d.Explanation)
	if len(s) > warden.MaxTextLen {
		s = s[:warden.MaxTextLen-3] + "..."
	}
	return s
}

// Respond matches d against the playbook and takes the actions, recording
// them in d.Responses ("quarantine", "dry-run:revoke", "skipped:disable
// (...)"). It reports whether the detection is to be alerted. d.ID must be
// set: it is the reason of every change.
func (r *Responder) Respond(ctx context.Context, d *warden.Detection) (alert bool, err error) {
	if r == nil || r.Playbook == nil {
		return true, nil
	}
	id, err := r.identity(ctx, d)
	if err != nil {
		return false, err
	}
	var todo []string
	rule := ""
	for i := range r.Playbook.Rules {
		ru := &r.Playbook.Rules[i]
		if !ru.matches(d, id) {
			continue
		}
		if rule == "" {
			rule = ru.Name
		}
		for _, a := range ru.Actions {
			if !slices.Contains(todo, a) {
				todo = append(todo, a)
			}
		}
	}
	for _, a := range actions { // fixed order: alert, quarantine, revoke, disable
		if !slices.Contains(todo, a) {
			continue
		}
		if r.Playbook.DryRun {
			d.Responses = append(d.Responses, "dry-run:"+a)
			continue
		}
		if a == ActionAlert {
			alert = true
			d.Responses = append(d.Responses, a)
			continue
		}
		done, err := r.act(monitorActor(ctx, rule), a, d, id)
		if err != nil {
			return alert, fmt.Errorf("respond %s to %s: %w", a, d.ID, err)
		}
		d.Responses = append(d.Responses, done)
	}
	return alert, nil
}

func (r *Responder) identity(ctx context.Context, d *warden.Detection) (*warden.Identity, error) {
	if r.Identities == nil {
		return nil, nil
	}
	var id *warden.Identity
	var err error
	if d.IdentityID != "" {
		id, err = r.Identities.FindIdentityByID(ctx, d.IdentityID)
	} else {
		id, err = r.Identities.FindIdentityByRef(ctx, d.Identity, d.Provider)
	}
	switch warden.ErrorCode(err) {
	case "":
		if d.IdentityID == "" {
			d.IdentityID = id.ID
		}
		return id, nil
	case warden.ENOTFOUND:
		return nil, nil
	}
	return nil, fmt.Errorf("find identity of detection: %w", err)
}

// act takes one identity action and returns what it did.
func (r *Responder) act(ctx context.Context, a string, d *warden.Detection, id *warden.Identity) (string, error) {
	if id == nil {
		return "skipped:" + a + " (identity not in the inventory)", nil
	}
	reason := Reason(d)
	switch a {
	case ActionRevoke:
		if r.Revoker == nil {
			return "skipped:revoke (no issuer)", nil
		}
		n, err := r.Revoker.RevokeIssued(ctx, warden.Revocation{IdentityID: id.ID, Reason: reason})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("revoke (%d credentials)", n), nil
	case ActionQuarantine, ActionDisable:
		status := warden.StatusQuarantined
		if a == ActionDisable {
			status = warden.StatusDisabled
		}
		if id.Status == status || id.Status == warden.StatusDeprovisioned || (status == warden.StatusQuarantined && id.Status == warden.StatusDisabled) {
			return "skipped:" + a + " (identity already " + string(id.Status) + ")", nil
		}
		upd, err := r.Identities.UpdateIdentity(ctx, id.ID, warden.IdentityUpdate{Status: &status, StatusReason: &reason})
		if err != nil {
			return "", err
		}
		*id = *upd
		return a, nil
	}
	return "", fmt.Errorf("unknown action %q", a)
}
