package warden

import (
	"context"
	"strings"
	"time"
)

// OwnerSuggestionStatus is where an owner suggestion is in its life.
type OwnerSuggestionStatus string

// Owner suggestion statuses. Accepted, rejected and superseded are final:
// a rejected owner is never suggested again for the same identity.
// Superseded means another suggestion for the identity was accepted.
const (
	OwnerSuggestionPending    OwnerSuggestionStatus = "pending"
	OwnerSuggestionAccepted   OwnerSuggestionStatus = "accepted"
	OwnerSuggestionRejected   OwnerSuggestionStatus = "rejected"
	OwnerSuggestionSuperseded OwnerSuggestionStatus = "superseded"
)

// OwnerSuggestionStatuses lists every valid status.
var OwnerSuggestionStatuses = []OwnerSuggestionStatus{OwnerSuggestionPending, OwnerSuggestionAccepted, OwnerSuggestionRejected, OwnerSuggestionSuperseded}

// Valid reports whether s is one of OwnerSuggestionStatuses.
func (s OwnerSuggestionStatus) Valid() bool { return contains(OwnerSuggestionStatuses, s) }

// Sources of owner evidence, strongest first. docs/owners.md says what
// each one means and the confidence it carries.
const (
	OwnerEvidenceCreator     = "creator"         // the person who created the identity
	OwnerEvidenceKeyCreator  = "key-creator"     // the person who created one of its keys
	OwnerEvidenceLabel       = "label"           // an owner/team/contact tag or label on the object
	OwnerEvidenceInteractive = "interactive-use" // the person who last used it interactively
	OwnerEvidencePipeline    = "pipeline"        // the repository or pipeline that uses it
)

// OwnerEvidence is one reason to think Owner answers for an identity: a
// log event (EventID, EventSource, Time) or a label (Label).
type OwnerEvidence struct {
	Kind       string `json:"kind"`       // one of the OwnerEvidence* sources
	Confidence int    `json:"confidence"` // 0-100, this evidence alone
	Detail     string `json:"detail"`     // one readable sentence
	// EventID and EventSource name the log event ("cloudtrail" and its
	// eventID); Time is when it happened.
	EventID     string     `json:"event_id,omitempty"`
	EventSource string     `json:"event_source,omitempty"`
	Time        *time.Time `json:"time,omitempty"`
	// Label is the label the evidence comes from, as key=value.
	Label string `json:"label,omitempty"`
}

// OwnerSuggestion proposes an owner for an identity, with its evidence.
// There is at most one suggestion per identity and owner (compared
// case-insensitively): new evidence updates a pending one.
type OwnerSuggestion struct {
	ID         string `json:"id"`
	IdentityID string `json:"identity_id"`
	Owner      string `json:"owner"`
	// Confidence (0-100) combines the evidence: see CombineConfidence.
	Confidence int                   `json:"confidence"`
	Evidence   []OwnerEvidence       `json:"evidence"`
	Status     OwnerSuggestionStatus `json:"status"`
	CreatedAt  time.Time             `json:"created_at"`
	UpdatedAt  time.Time             `json:"updated_at"`
	// DecidedBy is the actor that accepted or rejected it; Reason what
	// they said.
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	Reason    string     `json:"reason,omitempty"`
}

// Limits on owner suggestions.
const MaxOwnerEvidence = 32

// Validate checks a suggestion before it is stored.
func (s *OwnerSuggestion) Validate() error {
	if s.IdentityID == "" {
		return FieldErrorf("identity_id", "identity_id is required")
	}
	if err := checkText("owner", s.Owner, MaxNameLen, true); err != nil {
		return err
	}
	if s.Confidence < 0 || s.Confidence > 100 {
		return FieldErrorf("confidence", "confidence must be between 0 and 100, got %d", s.Confidence)
	}
	if len(s.Evidence) == 0 || len(s.Evidence) > MaxOwnerEvidence {
		return FieldErrorf("evidence", "a suggestion needs 1-%d pieces of evidence, got %d", MaxOwnerEvidence, len(s.Evidence))
	}
	for _, e := range s.Evidence {
		if e.Confidence < 0 || e.Confidence > 100 {
			return FieldErrorf("evidence.confidence", "confidence must be between 0 and 100, got %d", e.Confidence)
		}
		for field, v := range map[string]string{"evidence.kind": e.Kind, "evidence.detail": e.Detail, "evidence.event_id": e.EventID, "evidence.event_source": e.EventSource, "evidence.label": e.Label} {
			if err := checkText(field, v, MaxTextLen, field == "evidence.kind" || field == "evidence.detail"); err != nil {
				return err
			}
		}
	}
	if s.Status == "" {
		s.Status = OwnerSuggestionPending
	}
	if !s.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", s.Status, joinValues(OwnerSuggestionStatuses))
	}
	return checkText("reason", s.Reason, MaxTextLen, false)
}

// OwnerKey is how suggestions compare owners: trimmed and lower-cased.
func OwnerKey(owner string) string { return strings.ToLower(strings.TrimSpace(owner)) }

// CombineConfidence combines independent pieces of evidence for the same
// owner: each one removes its share of the remaining doubt
// (1 - Π(1 - c/100)), so two 60s make 84 and nothing reaches 100 without
// a piece that is certain on its own.
func CombineConfidence(evidence []OwnerEvidence) int {
	doubt := 1.0
	for _, e := range evidence {
		doubt *= 1 - float64(e.Confidence)/100
	}
	c := int((1-doubt)*100 + 0.5)
	if c > 100 {
		c = 100
	}
	return c
}

// OwnerSuggestionFilter selects suggestions, newest first.
type OwnerSuggestionFilter struct {
	IdentityID string
	Status     OwnerSuggestionStatus
	Cursor     string
	Limit      int
}

// Validate checks the filter and normalises its page size.
func (f *OwnerSuggestionFilter) Validate() error {
	if f.Status != "" && !f.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", f.Status, joinValues(OwnerSuggestionStatuses))
	}
	return normaliseLimit(&f.Limit)
}

// OwnerSuggestionSaveResult counts what saving suggestions did. Skipped
// are those for an owner already rejected or accepted for the identity.
type OwnerSuggestionSaveResult struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
}

// OwnerSuggestionStore keeps owner suggestions. Every change is audited
// in its transaction.
type OwnerSuggestionStore interface {
	// SaveOwnerSuggestions stores pending suggestions for one identity:
	// a new owner is created, a pending one gets the new evidence and
	// confidence, a superseded one is pending again (the identity lost
	// the owner that superseded it), and an owner rejected or accepted for
	// the identity is skipped. Suggestions are returned with their ids
	// and statuses.
	SaveOwnerSuggestions(ctx context.Context, identityID string, suggestions []*OwnerSuggestion) (OwnerSuggestionSaveResult, error)
	// FindOwnerSuggestion returns ENOTFOUND for an unknown id.
	FindOwnerSuggestion(ctx context.Context, id string) (*OwnerSuggestion, error)
	// FindOwnerSuggestions returns a page of suggestions and the next cursor.
	FindOwnerSuggestions(ctx context.Context, f OwnerSuggestionFilter) ([]*OwnerSuggestion, string, error)
	// DecideOwnerSuggestion moves a pending suggestion to accepted or
	// rejected; accepting also sets the identity's owner (audited as an
	// identity update) and supersedes its other pending suggestions, all
	// in one transaction. ECONFLICT unless the suggestion is pending, and
	// then nothing changes.
	DecideOwnerSuggestion(ctx context.Context, id string, status OwnerSuggestionStatus, reason string) (*OwnerSuggestion, error)
}

// OwnerSuggestReport is what a suggest run did.
type OwnerSuggestReport struct {
	Identities  int                       `json:"identities"` // identities looked at
	Result      OwnerSuggestionSaveResult `json:"result"`
	Suggestions []*OwnerSuggestion        `json:"suggestions"` // pending suggestions of those identities
}

// OwnerService suggests owners for unowned identities and applies the
// answers.
type OwnerService interface {
	// SuggestOwners collects evidence for every unowned identity, or for
	// the one identity ref names (an id or external id), and stores it as
	// pending suggestions. ENOTFOUND for an unknown ref.
	SuggestOwners(ctx context.Context, ref string) (*OwnerSuggestReport, error)
	// FindOwnerSuggestion returns one suggestion; ENOTFOUND for an
	// unknown id.
	FindOwnerSuggestion(ctx context.Context, id string) (*OwnerSuggestion, error)
	// FindOwnerSuggestions lists suggestions (inventory:read).
	FindOwnerSuggestions(ctx context.Context, f OwnerSuggestionFilter) ([]*OwnerSuggestion, string, error)
	// AcceptOwnerSuggestion sets the identity's owner to the suggested
	// one (an audited identity update) and marks the suggestion accepted.
	// ECONFLICT unless it is pending.
	AcceptOwnerSuggestion(ctx context.Context, id, reason string) (*OwnerSuggestion, error)
	// RejectOwnerSuggestion marks the suggestion rejected, for good.
	RejectOwnerSuggestion(ctx context.Context, id, reason string) (*OwnerSuggestion, error)
}
