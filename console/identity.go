package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/warden-nhi/warden"
)

// Bounds of the identity page's sections. Each section is one query on an
// index that starts with the identity id, so the page costs the same at
// 100 identities and at 100,000.
const (
	detailCredentials = 50
	detailFindings    = 50
	detailGrants      = 100 // grants are read in one query; the page shows this many
	detailRecent      = 20  // events, issued credentials, decisions, detections, audit records
)

// section is one part of the identity page: what it lists, and why it may
// list nothing.
type section[T any] struct {
	Allowed    bool // the role may read it; when false the section is not shown
	Configured bool // the service behind it is wired; when false the page says so
	Items      []T
	More       bool // there is more than Items
}

// identityPage is the data of the identity page.
type identityPage struct {
	Identity      *warden.Identity
	Labels        []labelPair
	ReviewOverdue bool
	Credentials   section[credentialRow]
	Grants        section[*warden.Grant]
	GrantsTotal   int
	Findings      section[*warden.Finding]
	Events        section[*warden.Event]
	Issued        section[issuedRow]
	Decisions     section[*warden.DecisionRecord]
	Detections    section[*warden.Detection]
	Audit         section[auditRow]
	// Owners are the identity's pending owner suggestions.
	Owners section[*warden.OwnerSuggestion]
}

type labelPair struct{ Key, Value string }

// credentialRow is a credential with its age, as of the page's render.
type credentialRow struct {
	*warden.Credential
	Age     string
	Expired bool
}

// auditRow is an audit record with the fields it changed.
type auditRow struct {
	*warden.AuditRecord
	Changed []string // top-level fields whose value differs between before and after
}

// issuedRow is an issued credential and whether it still works.
type issuedRow struct {
	*warden.IssuedCredential
	Live bool // neither revoked nor expired
}

func (s *Server) handleIdentity(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	identity, err := s.cfg.Identities.FindIdentityByID(ctx, r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page, err := s.identityDetail(ctx, identity, sessionFrom(ctx).Role)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "identity", view{Title: identity.Name, Nav: "identities", Data: page})
}

// identityDetail reads every section of the identity page that role may
// see, one bounded query each.
func (s *Server) identityDetail(ctx context.Context, identity *warden.Identity, role warden.Role) (*identityPage, error) {
	now := s.now()
	id := identity.ID
	p := &identityPage{Identity: identity}
	for k, v := range identity.Labels {
		p.Labels = append(p.Labels, labelPair{k, v})
	}
	sort.Slice(p.Labels, func(i, j int) bool { return p.Labels[i].Key < p.Labels[j].Key })
	p.ReviewOverdue = identity.NextReviewAt != nil && identity.NextReviewAt.Before(now)

	p.Credentials = section[credentialRow]{Allowed: true, Configured: s.cfg.Credentials != nil}
	if p.Credentials.Configured {
		creds, next, err := s.cfg.Credentials.FindCredentials(ctx, warden.CredentialFilter{IdentityID: id, Limit: detailCredentials})
		if err != nil {
			return nil, fmt.Errorf("credentials of %s: %w", id, err)
		}
		for _, c := range creds {
			p.Credentials.Items = append(p.Credentials.Items, credentialRow{Credential: c, Age: age(now.Sub(c.CreatedAt)),
				Expired: c.ExpiresAt != nil && c.ExpiresAt.Before(now)})
		}
		p.Credentials.More = next != ""
	}

	p.Grants = section[*warden.Grant]{Allowed: true, Configured: s.cfg.Grants != nil}
	if p.Grants.Configured {
		grants, err := s.cfg.Grants.FindGrants(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("grants of %s: %w", id, err)
		}
		p.GrantsTotal = len(grants)
		if len(grants) > detailGrants {
			grants, p.Grants.More = grants[:detailGrants], true
		}
		p.Grants.Items = grants
	}

	p.Findings = section[*warden.Finding]{Allowed: true, Configured: s.cfg.Findings != nil}
	if p.Findings.Configured {
		fs, next, err := s.cfg.Findings.FindFindings(ctx, warden.FindingFilter{IdentityID: id, Limit: detailFindings})
		if err != nil {
			return nil, fmt.Errorf("findings of %s: %w", id, err)
		}
		p.Findings.Items, p.Findings.More = fs, next != ""
	}

	p.Events = section[*warden.Event]{Allowed: true, Configured: s.cfg.Events != nil}
	if p.Events.Configured {
		if err := s.recentActivity(ctx, identity, p); err != nil {
			return nil, err
		}
	}

	p.Issued = section[issuedRow]{Allowed: role.Can(warden.PermIssuerRead), Configured: s.cfg.Issued != nil}
	if p.Issued.Allowed && p.Issued.Configured {
		issued, next, err := s.cfg.Issued.FindIssuedCredentials(ctx, warden.IssuedCredentialFilter{IdentityID: id, Limit: detailRecent})
		if err != nil {
			return nil, fmt.Errorf("issued credentials of %s: %w", id, err)
		}
		for _, c := range issued {
			p.Issued.Items = append(p.Issued.Items, issuedRow{IssuedCredential: c, Live: c.RevokedAt == nil && c.ExpiresAt.After(now)})
		}
		p.Issued.More = next != ""
	}

	p.Decisions = section[*warden.DecisionRecord]{Allowed: role.Can(warden.PermPolicyRead), Configured: s.cfg.Decisions != nil}
	if p.Decisions.Allowed && p.Decisions.Configured {
		ds, next, err := s.cfg.Decisions.FindDecisions(ctx, warden.DecisionFilter{IdentityID: id, Limit: detailRecent})
		if err != nil {
			return nil, fmt.Errorf("decisions of %s: %w", id, err)
		}
		p.Decisions.Items, p.Decisions.More = ds, next != ""
	}

	p.Detections = section[*warden.Detection]{Allowed: true, Configured: s.cfg.Detections != nil}
	if p.Detections.Configured {
		ds, next, err := s.cfg.Detections.FindDetections(ctx, warden.DetectionFilter{IdentityID: id, Limit: detailRecent})
		if err != nil {
			return nil, fmt.Errorf("detections of %s: %w", id, err)
		}
		p.Detections.Items, p.Detections.More = ds, next != ""
	}

	p.Owners = section[*warden.OwnerSuggestion]{Allowed: true, Configured: s.cfg.Owners != nil}
	if p.Owners.Configured {
		sugs, next, err := s.cfg.Owners.FindOwnerSuggestions(ctx, warden.OwnerSuggestionFilter{IdentityID: id, Status: warden.OwnerSuggestionPending, Limit: detailSuggestions})
		if err != nil {
			return nil, fmt.Errorf("owner suggestions of %s: %w", id, err)
		}
		sort.SliceStable(sugs, func(i, j int) bool { return sugs[i].Confidence > sugs[j].Confidence })
		p.Owners.Items, p.Owners.More = sugs, next != ""
	}

	p.Audit = section[auditRow]{Allowed: role.Can(warden.PermAuditRead), Configured: s.cfg.Audit != nil}
	if p.Audit.Allowed && p.Audit.Configured {
		recs, next, err := s.cfg.Audit.FindAuditRecords(ctx, warden.AuditFilter{TargetType: "identity", TargetID: id, Newest: true, Limit: detailRecent})
		if err != nil {
			return nil, fmt.Errorf("audit history of %s: %w", id, err)
		}
		for _, rec := range recs {
			p.Audit.Items = append(p.Audit.Items, auditRow{AuditRecord: rec, Changed: changedFields(rec.Before, rec.After)})
		}
		p.Audit.More = next != ""
	}
	return p, nil
}

// recentActivity fills the activity section with the identity's latest
// events, newest first: one query on the (identity_id, time, id) index.
func (s *Server) recentActivity(ctx context.Context, identity *warden.Identity, p *identityPage) error {
	events, next, err := s.cfg.Events.FindEvents(ctx, warden.EventFilter{IdentityID: identity.ID, Newest: true, Limit: detailRecent})
	if err != nil {
		return fmt.Errorf("activity of %s: %w", identity.ID, err)
	}
	p.Events.Items, p.Events.More = events, next != ""
	return nil
}

// changedFields lists, sorted, the top-level fields of two JSON objects
// whose values differ, leaving out the update time every change moves. It
// is empty when either side is not an object (a creation, a deletion).
func changedFields(before, after json.RawMessage) []string {
	var b, a map[string]json.RawMessage
	if json.Unmarshal(before, &b) != nil || json.Unmarshal(after, &a) != nil || b == nil || a == nil {
		return nil
	}
	var out []string
	for k, av := range a {
		if k != "updated_at" && !bytes.Equal(b[k], av) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
