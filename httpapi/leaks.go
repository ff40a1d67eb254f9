package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/warden-nhi/warden"
)

// leakReportBody is the body of POST /v1/leaks. Each item is decoded on
// its own, strictly, so that an error names the item and its field.
type leakReportBody struct {
	Leaks []json.RawMessage `json:"leaks"`
}

// leakItem is one reported leak. There is no field for a secret: only
// fingerprints, location and the redacted preview are accepted.
type leakItem struct {
	Fingerprint    string                `json:"fingerprint"`
	Rule           string                `json:"rule"`
	Type           warden.CredentialType `json:"type"`
	Source         string                `json:"source"`
	File           string                `json:"file"`
	Line           int                   `json:"line"`
	Commit         string                `json:"commit"`
	Author         string                `json:"author"`
	PublicID       string                `json:"public_id"`
	KeyFingerprint string                `json:"key_fingerprint"`
	Preview        string                `json:"preview"`
}

// decodeLeakReport decodes and validates the leaks of a report.
func (s *Server) decodeLeakReport(w http.ResponseWriter, r *http.Request) ([]*warden.Leak, error) {
	var body leakReportBody
	if err := s.decodeRequest(w, r, &body, decodeOptions{}); err != nil {
		return nil, err
	}
	if len(body.Leaks) == 0 {
		return nil, warden.FieldErrorf("leaks", "leaks must be a non-empty array")
	}
	if len(body.Leaks) > warden.MaxLeaksPerReport {
		return nil, warden.FieldErrorf("leaks", "at most %d leaks may be reported at once, got %d", warden.MaxLeaksPerReport, len(body.Leaks))
	}
	leaks := make([]*warden.Leak, len(body.Leaks))
	for i, raw := range body.Leaks {
		var item leakItem
		if err := decodeObject(raw, &item, decodeOptions{allowNull: true}); err != nil {
			return nil, itemError(i, err)
		}
		l := leakFromItem(item)
		if err := l.Validate(); err != nil {
			return nil, itemError(i, err)
		}
		leaks[i] = &l
	}
	return leaks, nil
}

func leakFromItem(it leakItem) warden.Leak {
	return warden.Leak{
		Fingerprint: it.Fingerprint, Rule: it.Rule, Type: it.Type, Source: it.Source, File: it.File, Line: it.Line,
		Commit: it.Commit, Author: it.Author, PublicID: it.PublicID, KeyFingerprint: it.KeyFingerprint, Preview: it.Preview,
	}
}

// itemError names the array item an error is about: "leaks[2].rule".
func itemError(i int, err error) error {
	if warden.ErrorCode(err) != warden.EINVALID {
		return err
	}
	field := fmt.Sprintf("leaks[%d]", i)
	if f := warden.ErrorField(err); f != "" {
		field += "." + f
	}
	return warden.FieldErrorf(field, "%s: %s", field, warden.ErrorMessage(err))
}

// handleReportLeaks records leaks found by a scanner: each is correlated
// with the inventory, stored (fingerprint and location only) and, when it
// belongs to an identity, raises an NHI2 finding. The answer lists the
// stored leaks in request order, with their blast radius.
func (s *Server) handleReportLeaks(w http.ResponseWriter, r *http.Request) {
	if !s.leaksAvailable(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	leaks, err := s.decodeLeakReport(w, r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.leaks.RecordLeaks(r.Context(), leaks); err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(leaks, ""))
}

var leakListParams = []string{"identity_id", "rule", "fingerprint", "source", "correlated", "cursor", "limit"}

// handleListLeaks lists recorded leaks, most recently seen first.
func (s *Server) handleListLeaks(w http.ResponseWriter, r *http.Request) {
	if !s.leaksAvailable(w, r) {
		return
	}
	q, err := parseQuery(r, leakListParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f := warden.LeakFilter{
		IdentityID: q.get("identity_id"), Rule: q.get("rule"), Fingerprint: q.get("fingerprint"),
		Source: q.get("source"), Cursor: q.get("cursor"),
	}
	if f.Correlated, err = q.boolean("correlated"); err != nil {
		s.Error(w, r, err)
		return
	}
	if f.Limit, err = q.limit(); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := f.Validate(); err != nil {
		s.Error(w, r, err)
		return
	}
	items, next, err := s.leaks.FindLeaks(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, newList(items, next))
}

// leaksAvailable answers 503 when the server was built without a leak
// service.
func (s *Server) leaksAvailable(w http.ResponseWriter, r *http.Request) bool {
	if s.leaks == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "secret-scanning results are not enabled on this server"))
		return false
	}
	return true
}
