package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/govern"
)

// findingsPage is the data of the findings list.
type findingsPage struct {
	Filter     findingsForm
	Identity   *warden.Identity // the identity the list is narrowed to, if any
	Findings   []*warden.Finding
	Severities []warden.Severity
	Statuses   []warden.FindingStatus
	OWASP      []owaspCount // ids and titles for the select (Open unused)
	Pager      pager
	// Names are the names of the rows' identities, by id, read in one
	// query; a row whose identity is missing shows its id.
	Names map[string]string
}

// findingsForm echoes the filter form's fields.
type findingsForm struct {
	Rule, Severity, OWASP, Status, Identity string
}

func (s *Server) handleFindings(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Findings == nil {
		s.unavailable(w, r, "Governance findings")
		return
	}
	q := r.URL.Query()
	form := findingsForm{Rule: q.Get("rule"), Severity: q.Get("severity"), OWASP: q.Get("owasp"), Status: q.Get("status"), Identity: q.Get("identity")}
	filter := warden.FindingFilter{
		RuleID:   form.Rule,
		Severity: warden.Severity(form.Severity),
		OWASP:    form.OWASP,
		Status:   warden.FindingStatus(form.Status),
		Cursor:   q.Get("cursor"),
	}
	if err := filter.Validate(); err != nil {
		s.renderError(w, r, err)
		return
	}
	page := findingsPage{Filter: form, Severities: warden.Severities, Statuses: warden.FindingStatuses, OWASP: owaspOptions()}
	if form.Identity != "" {
		id, err := s.resolveIdentity(r, form.Identity)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		page.Identity, filter.IdentityID = id, id.ID
	}
	items, next, err := s.cfg.Findings.FindFindings(r.Context(), filter)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page.Findings, page.Pager = items, newPager(r, next)
	ids := make([]string, 0, len(items))
	for _, f := range items {
		ids = append(ids, f.IdentityID)
	}
	if page.Names, err = s.identityNames(r.Context(), ids); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "findings", view{Title: "Findings", Nav: "findings", Data: page})
}

// findingPage is the data of one finding's page.
type findingPage struct {
	Finding  *warden.Finding
	Identity *warden.Identity // nil if it was deleted
	Evidence string           // the evidence JSON, indented
	OWASP    []reference
	NIST     []reference
}

// reference is a standard's id with its title ("" when unknown).
type reference struct{ ID, Title string }

func (s *Server) handleFinding(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Findings == nil {
		s.unavailable(w, r, "Governance findings")
		return
	}
	f, err := s.cfg.Findings.FindFindingByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page := findingPage{Finding: f, Evidence: indentJSON(f.Evidence)}
	if id, err := s.cfg.Identities.FindIdentityByID(r.Context(), f.IdentityID); err == nil {
		page.Identity = id
	} else if warden.ErrorCode(err) != warden.ENOTFOUND {
		s.renderError(w, r, err)
		return
	}
	for _, id := range f.OWASP {
		page.OWASP = append(page.OWASP, reference{ID: id, Title: warden.OWASPNHITop10[id]})
	}
	titles := nistTitles()
	for _, ref := range f.NIST {
		page.NIST = append(page.NIST, reference{ID: ref, Title: titles[ref]})
	}
	s.render(w, r, http.StatusOK, "finding", view{Title: f.Title, Nav: "findings", Data: page})
}

// nistTitles names the NIST SP 800-207 and CSF 2.0 references the
// governance rules map to. Operators cannot change them, so the embedded
// catalog is the whole truth.
var nistTitles = sync.OnceValue(func() map[string]string { return govern.DefaultConfig().References })

// owaspOptions lists the OWASP NHI Top 10 ids with their titles, in order.
func owaspOptions() []owaspCount {
	out := make([]owaspCount, 0, len(owaspIDs))
	for _, id := range owaspIDs {
		out = append(out, owaspCount{ID: id, Title: warden.OWASPNHITop10[id]})
	}
	return out
}

// indentJSON pretty-prints a JSON document for display as text; anything
// that is not valid JSON is shown as it is.
func indentJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// resolveIdentity finds the identity a filter names by id or external id.
// Not finding it is a mistake in the filter's identity field.
func (s *Server) resolveIdentity(r *http.Request, ref string) (*warden.Identity, error) {
	id, err := s.cfg.Identities.FindIdentityByRef(r.Context(), ref, "")
	switch warden.ErrorCode(err) {
	case "":
		return id, nil
	case warden.ENOTFOUND:
		return nil, warden.FieldErrorf("identity", "identity %q was not found: give an identity id or external id", clip(ref))
	case warden.ECONFLICT, warden.EINVALID:
		return nil, warden.FieldErrorf("identity", "identity: %s", warden.ErrorMessage(err))
	default:
		return nil, err
	}
}

// clip shortens user input quoted back in a message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// pager holds the links between the pages of a list. Lists page forward
// with the store's cursor; the first page is always one link away.
type pager struct {
	Next  string // the next page, "" on the last
	First string // the first page, "" when this is it
}

// newPager links the pages around this one: the same path and filters
// with the store's next cursor, and without a cursor for the first page.
func newPager(r *http.Request, next string) pager {
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "done" && k != "cursor" && k != "verify" {
			q[k] = v
		}
	}
	var p pager
	if r.URL.Query().Get("cursor") != "" {
		p.First = r.URL.Path
		if len(q) > 0 {
			p.First += "?" + q.Encode()
		}
	}
	if next != "" {
		q.Set("cursor", next)
		p.Next = r.URL.Path + "?" + q.Encode()
	}
	return p
}

// unavailable answers for a page whose part of warden is not wired into
// this server.
func (s *Server) unavailable(w http.ResponseWriter, r *http.Request, what string) {
	s.renderStatus(w, r, http.StatusServiceUnavailable, "Not configured", what+" is not configured on this server.")
}
