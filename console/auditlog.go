package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

// auditVerifyBudget is how long the audit page lets VerifyAudit walk the
// chain before it gives up and offers to verify on request instead:
// verification reads every record, which a page cannot afford on a large
// log.
const auditVerifyBudget = 100 * time.Millisecond

// maxAuditJSON bounds the before/after JSON the page shows per record.
const maxAuditJSON = 4 << 10

// auditPage is the data of the audit log page.
type auditPage struct {
	Filter  auditForm
	Records []auditLine
	Pager   pager
	Chain   chainStatus
}

// auditForm echoes the filter form's fields.
type auditForm struct {
	Actor, Action, TargetType, TargetID string
	Oldest                              bool // chain order instead of the latest first
}

// auditLine is one audit record with a readable summary of its change.
type auditLine struct {
	*warden.AuditRecord
	Summary       string // "created", "deleted", "changed: owner, status"
	Before, After string // indented JSON, clipped; "" for null
	TargetURL     string // the console page of the target, if it has one
}

// chainStatus is what the page says about the audit chain.
type chainStatus struct {
	State  string // "ok", "broken" or "unchecked"
	Text   string
	Verify []hiddenField // the query that verifies the whole chain, for "unchecked"
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Audit == nil {
		s.unavailable(w, r, "The audit log")
		return
	}
	q := r.URL.Query()
	form := auditForm{Actor: q.Get("actor"), Action: q.Get("action"), TargetType: q.Get("target_type"), TargetID: q.Get("target_id")}
	switch q.Get("order") {
	case "", "newest":
	case "oldest":
		form.Oldest = true
	default:
		s.renderError(w, r, warden.FieldErrorf("order", "order must be newest or oldest"))
		return
	}
	filter := warden.AuditFilter{Actor: form.Actor, Action: form.Action, TargetType: form.TargetType, TargetID: form.TargetID,
		Newest: !form.Oldest, Cursor: q.Get("cursor")}
	for _, f := range []struct{ name, value string }{{"actor", form.Actor}, {"action", form.Action}, {"target_type", form.TargetType}, {"target_id", form.TargetID}} {
		if len(f.value) > warden.MaxTextLen {
			s.renderError(w, r, warden.FieldErrorf(f.name, "The %s filter is longer than %d bytes.", f.name, warden.MaxTextLen))
			return
		}
	}
	if err := filter.Validate(); err != nil {
		s.renderError(w, r, err)
		return
	}
	records, next, err := s.cfg.Audit.FindAuditRecords(r.Context(), filter)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page := auditPage{Filter: form, Pager: newPager(r, next)}
	for _, rec := range records {
		page.Records = append(page.Records, newAuditLine(rec))
	}
	if page.Chain, err = s.chainStatus(r, q.Get("verify") == "1"); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "audit", view{Title: "Audit log", Nav: "audit", Data: page})
}

// chainStatus verifies the audit chain: within auditVerifyBudget, or fully
// when the user asked for it.
func (s *Server) chainStatus(r *http.Request, full bool) (chainStatus, error) {
	ctx := r.Context()
	if !full {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, auditVerifyBudget)
		defer cancel()
	}
	v, err := s.cfg.Audit.VerifyAudit(ctx)
	if err != nil {
		if !full && ctx.Err() == context.DeadlineExceeded && r.Context().Err() == nil {
			st := chainStatus{State: "unchecked", Text: fmt.Sprintf("Not verified on this page load: the log is too large to check within %d ms. Verifying reads every record.", auditVerifyBudget.Milliseconds())}
			for k, vs := range r.URL.Query() {
				if k != "verify" && k != "done" {
					for _, v := range vs {
						st.Verify = append(st.Verify, hiddenField{Name: k, Value: v})
					}
				}
			}
			slices.SortFunc(st.Verify, func(a, b hiddenField) int { return strings.Compare(a.Name, b.Name) })
			return st, nil
		}
		return chainStatus{}, fmt.Errorf("verify audit chain: %w", err)
	}
	if !v.OK {
		return chainStatus{State: "broken", Text: fmt.Sprintf("BROKEN at record %d: %s. The %d records before it verify (head #%d %s).", v.BadSeq, v.Problem, v.Records, v.HeadSeq, short12(v.HeadHash))}, nil
	}
	return chainStatus{State: "ok", Text: fmt.Sprintf("intact: %d records, head #%d %s", v.Records, v.HeadSeq, short12(v.HeadHash))}, nil
}

func short12(hash string) string {
	if len(hash) <= 12 {
		return hash
	}
	return hash[:12] + "…"
}

// newAuditLine summarises a record's change from its before and after JSON.
func newAuditLine(rec *warden.AuditRecord) auditLine {
	row := auditLine{AuditRecord: rec, Before: auditJSON(rec.Before), After: auditJSON(rec.After), TargetURL: targetURL(rec.TargetType, rec.TargetID)}
	switch {
	case row.Before == "" && row.After == "":
		row.Summary = "—"
	case row.Before == "":
		row.Summary = "created"
	case row.After == "":
		row.Summary = "deleted"
	default:
		row.Summary = auditChanges(rec.Before, rec.After)
	}
	return row
}

// auditChanges says which top-level fields a change touched (see
// changedFields), at most a few by name.
func auditChanges(before, after json.RawMessage) string {
	names := changedFields(before, after)
	if len(names) == 0 {
		return "changed"
	}
	const show = 8
	if len(names) > show {
		return fmt.Sprintf("changed: %s and %d more", strings.Join(names[:show], ", "), len(names)-show)
	}
	return "changed: " + strings.Join(names, ", ")
}

// auditJSON indents a record's before or after JSON for display, "" for
// none, clipped to maxAuditJSON.
func auditJSON(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	s := indentJSON(raw)
	if len(s) > maxAuditJSON {
		cut := maxAuditJSON
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "\n… (" + fmt.Sprint(len(s)-cut) + " more bytes; the API returns the whole record)"
	}
	return s
}

// targetURL is the console page of an audit record's target, when the
// console has one.
func targetURL(typ, id string) string {
	if id == "" {
		return ""
	}
	switch typ {
	case "identity":
		return Prefix + "identities/" + id
	case "finding":
		return Prefix + "findings/" + id
	case "policy_version":
		return Prefix + "policies/" + id
	}
	return ""
}
