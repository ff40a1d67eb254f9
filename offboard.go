package warden

import (
	"context"
	"io"
	"strings"
	"time"
)

// OffboardingStatus is where an offboarding is in its life: open until
// its reassignment deadline has passed and the sweep has settled every
// item, then closed.
type OffboardingStatus string

// Offboarding statuses.
const (
	OffboardingOpen   OffboardingStatus = "open"
	OffboardingClosed OffboardingStatus = "closed"
)

// OffboardingStatuses lists every valid offboarding status.
var OffboardingStatuses = []OffboardingStatus{OffboardingOpen, OffboardingClosed}

// Valid reports whether s is one of OffboardingStatuses.
func (s OffboardingStatus) Valid() bool { return contains(OffboardingStatuses, s) }

// Offboarding sources: how warden learnt that the person left.
const (
	OffboardSourceAPI  = "api"
	OffboardSourceCSV  = "csv"
	OffboardSourceJSON = "json"
)

// OffboardItemStatus is what became of one identity a departed person
// owned.
type OffboardItemStatus string

// Offboarding item statuses. Flagged is the only open one: the identity
// waits for a new owner. At the deadline the sweep settles it: reassigned
// when someone set a new owner, disabled (enforce mode) or reported
// (monitor mode: it would have been disabled) when nobody did.
const (
	OffboardItemFlagged    OffboardItemStatus = "flagged"
	OffboardItemReassigned OffboardItemStatus = "reassigned"
	OffboardItemDisabled   OffboardItemStatus = "disabled"
	OffboardItemReported   OffboardItemStatus = "reported"
)

// OffboardItemStatuses lists every valid item status.
var OffboardItemStatuses = []OffboardItemStatus{OffboardItemFlagged, OffboardItemReassigned, OffboardItemDisabled, OffboardItemReported}

// Valid reports whether s is one of OffboardItemStatuses.
func (s OffboardItemStatus) Valid() bool { return contains(OffboardItemStatuses, s) }

// Labels an offboarding puts on each identity it flags, so inventory
// filters find them (label warden/offboarding, any value). They stay
// after the item is settled, as history.
const (
	LabelOffboarding   = "warden/offboarding"    // the offboarding's id
	LabelPreviousOwner = "warden/previous-owner" // the departed person
)

// OffboardingItem is one identity the departed person owned.
type OffboardingItem struct {
	IdentityID         string             `json:"identity_id"`
	IdentityExternalID string             `json:"identity_external_id"`
	IdentityName       string             `json:"identity_name"`
	Provider           Provider           `json:"provider"`
	PreviousOwner      string             `json:"previous_owner"` // the owner as it was written
	Status             OffboardItemStatus `json:"status"`
	// NewOwner is who took the identity over (status reassigned).
	NewOwner string `json:"new_owner,omitempty"`
	// EventID is the enforcement event of a disabled or reported item.
	EventID    string     `json:"event_id,omitempty"`
	Note       string     `json:"note,omitempty"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// Why a credential is listed for rotation.
const (
	RotateCreatedByPerson = "created-by-person" // the person created it (provenance)
	RotateOwnedIdentity   = "owned-identity"    // an active credential of an identity they owned
)

// RotationCredential is a credential to rotate because its creator or its
// identity's owner left. warden lists it; rotating it is for people (or
// tools) with access to the provider, and nothing here marks it rotated.
type RotationCredential struct {
	// CredentialID is warden's credential id; "" when the inventory has no
	// credential with the public id a provenance record names.
	CredentialID string         `json:"credential_id"`
	IdentityID   string         `json:"identity_id"`
	PublicID     string         `json:"public_id"` // e.g. the AWS access key id
	Type         CredentialType `json:"type,omitempty"`
	Reason       string         `json:"reason"` // created-by-person or owned-identity
	// CreatedBy says what created it: the provenance event
	// ("CreateAccessKey by alice@example.com (cloudtrail 3f1c...)").
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
}

// Offboarding records a person's departure: every identity they owned is
// flagged for reassignment until Deadline, and the credentials they
// created are listed for rotation.
type Offboarding struct {
	ID         string            `json:"id"`
	Person     string            `json:"person"` // lower-case email or user name
	DepartedAt time.Time         `json:"departed_at"`
	Source     string            `json:"source"` // api, csv or json
	Deadline   time.Time         `json:"deadline"`
	Status     OffboardingStatus `json:"status"`
	CreatedBy  string            `json:"created_by"`
	CreatedAt  time.Time         `json:"created_at"`
	ClosedAt   *time.Time        `json:"closed_at,omitempty"`
	Items      []OffboardingItem `json:"items"`
	// Credentials are listed for rotation; see RotationCredential.
	Credentials []RotationCredential `json:"credentials"`
}

// Counts returns how many items have each status.
func (o *Offboarding) Counts() map[OffboardItemStatus]int {
	out := map[OffboardItemStatus]int{}
	for _, it := range o.Items {
		out[it.Status]++
	}
	return out
}

// NormalisePerson returns a person's name in the form offboarding matches
// owners with: trimmed and lower-case. EINVALID when it is empty, too
// long or has control characters.
func NormalisePerson(field, person string) (string, error) {
	p := strings.TrimSpace(person)
	// Checked before lower-casing, which would turn invalid UTF-8 into
	// U+FFFD.
	if err := checkText(field, p, MaxNameLen, true); err != nil {
		return "", err
	}
	p = strings.ToLower(p)
	if len(p) > MaxNameLen {
		return "", FieldErrorf(field, "%s is longer than %d bytes", field, MaxNameLen)
	}
	return p, nil
}

// OffboardingFilter selects offboardings, newest first.
type OffboardingFilter struct {
	Person string // exact, case-insensitive
	Status OffboardingStatus
	Cursor string
	Limit  int
}

// Validate checks the filter, lower-cases the person and fills in the
// default page size.
func (f *OffboardingFilter) Validate() error {
	if f.Status != "" && !f.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", f.Status, joinValues(OffboardingStatuses))
	}
	if f.Person != "" {
		p, err := NormalisePerson("person", f.Person)
		if err != nil {
			return err
		}
		f.Person = p
	}
	return normaliseLimit(&f.Limit)
}

// OffboardingStore persists offboardings. Every change is audited in its
// transaction.
type OffboardingStore interface {
	// CreateOffboarding starts the offboarding of o.Person in one
	// transaction: it finds every identity (not deprovisioned) whose owner
	// is the person, case-insensitively; clears its owner and labels it
	// (LabelOffboarding, LabelPreviousOwner); adds one flagged item per
	// identity and the active credentials of those identities to
	// o.Credentials (after the ones the caller listed); and stores o with
	// its ID, CreatedAt, CreatedBy and Status (open) set, audited as
	// "offboarding.create" plus one "identity.update" per identity.
	// When the person already has an open offboarding, nothing is written
	// and that one is returned with created false.
	CreateOffboarding(ctx context.Context, o *Offboarding) (out *Offboarding, created bool, err error)
	// FindOffboarding returns ENOTFOUND for an unknown id.
	FindOffboarding(ctx context.Context, id string) (*Offboarding, error)
	FindOffboardings(ctx context.Context, f OffboardingFilter) ([]*Offboarding, string, error)
	// FindDueOffboardings returns open offboardings whose deadline is at or
	// before t, oldest deadline first.
	FindDueOffboardings(ctx context.Context, t time.Time, limit int) ([]*Offboarding, error)
	// UpdateOffboarding reads the offboarding, lets fn change it and writes
	// it back with an audit record (before/after) in one transaction that
	// serialises with every other audited writer; fn's error aborts.
	UpdateOffboarding(ctx context.Context, id, action string, fn func(o *Offboarding) error) (*Offboarding, error)
}

// OffboardInput asks to offboard one person.
type OffboardInput struct {
	Person string `json:"person"`
	// DepartedAt is RFC 3339 or YYYY-MM-DD; empty means now.
	DepartedAt string `json:"departed_at,omitempty"`
	// Grace is the reassignment period: "14d", "72h"; empty means the
	// service's default.
	Grace string `json:"grace,omitempty"`
}

// OffboardResult is one offboarding a call started or found open.
type OffboardResult struct {
	Offboarding *Offboarding `json:"offboarding"`
	// Created is false when the person already had an open offboarding,
	// which is returned unchanged.
	Created bool `json:"created"`
}

// OffboardImportResult is what an import of a departed-people list did.
type OffboardImportResult struct {
	People   int               `json:"people"`
	Created  int               `json:"created"`
	Existing int               `json:"existing"`
	Results  []*OffboardResult `json:"results"`
}

// OffboardingService offboards departed people. The caller is the actor
// in ctx; starting an offboarding needs PermInventoryWrite, reading
// PermInventoryRead (the API checks both).
type OffboardingService interface {
	// Offboard starts the offboarding of one person, or returns their open
	// one (Created false). EINVALID names the bad field.
	Offboard(ctx context.Context, in OffboardInput, source string) (*OffboardResult, error)
	// ImportDeparted reads a list of departed people (format "csv" or
	// "json") whole, refusing it with EINVALID naming the line and field
	// before anything is written, then offboards each person.
	ImportDeparted(ctx context.Context, format string, r io.Reader, grace string) (*OffboardImportResult, error)
	FindOffboarding(ctx context.Context, id string) (*Offboarding, error)
	FindOffboardings(ctx context.Context, f OffboardingFilter) ([]*Offboarding, string, error)
}
