package warden

import (
	"context"
	"encoding/json"
	"time"
)

// PolicyVersion is one immutable version of warden's Cedar policy set: the
// policy files, the schema they are validated against and the guardrails
// switched off. Pushing creates a new version; activating one makes the
// decision point use it everywhere.
type PolicyVersion struct {
	Version     int64  `json:"version"`
	Description string `json:"description"`
	// Policies maps a file name ("payments.cedar") to its Cedar text.
	Policies map[string]string `json:"policies"`
	// Schema is the Cedar schema (human-readable format) of the user's
	// resources, actions and context. warden adds its own Identity entity.
	Schema string `json:"schema"`
	// DisabledGuardrails lists ids of built-in guardrail policies that this
	// version switches off.
	DisabledGuardrails []string   `json:"disabled_guardrails"`
	Digest             string     `json:"digest"` // hex SHA-256 of the content
	Active             bool       `json:"active"`
	CreatedAt          time.Time  `json:"created_at"`
	CreatedBy          string     `json:"created_by"`
	ActivatedAt        *time.Time `json:"activated_at"`
}

// PolicyActivation is one entry of the activation history.
type PolicyActivation struct {
	Seq      int64     `json:"seq"`
	Version  int64     `json:"version"`
	Previous int64     `json:"previous"` // version active before, 0 if none
	Action   string    `json:"action"`   // activate or rollback
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"`
}

// PolicyStore keeps the versions of the policy set. Every change is audited
// in the same transaction and announced to every replica (see ChangeFeed).
// Validation of the Cedar content happens before the store is called.
type PolicyStore interface {
	// CreatePolicyVersion stores a new, inactive version and sets its
	// Version, Digest, CreatedAt and CreatedBy.
	CreatePolicyVersion(ctx context.Context, v *PolicyVersion) error
	// FindPolicyVersion returns ENOTFOUND for an unknown version.
	FindPolicyVersion(ctx context.Context, version int64) (*PolicyVersion, error)
	// FindPolicyVersions lists versions, newest first, without content.
	FindPolicyVersions(ctx context.Context) ([]*PolicyVersion, error)
	// ActivePolicyVersion returns the active version, or ENOTFOUND when no
	// version was ever activated.
	ActivePolicyVersion(ctx context.Context) (*PolicyVersion, error)
	// ActivatePolicyVersion makes version the active one.
	ActivatePolicyVersion(ctx context.Context, version int64) (*PolicyActivation, error)
	// RollbackPolicyVersion re-activates the version that was active before
	// the current one. ECONFLICT when there is nothing to roll back to.
	RollbackPolicyVersion(ctx context.Context) (*PolicyActivation, error)
}

// EntityRef names an entity of the policy model: a Cedar type and id.
type EntityRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// PolicyEntity is a resource or action entity supplied by the user and
// stored in warden, with its parents and attributes in Cedar's JSON value
// format.
type PolicyEntity struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Parents   []EntityRef     `json:"parents"`
	Attrs     json.RawMessage `json:"attrs"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// EntityStore keeps user-supplied policy entities, audited.
type EntityStore interface {
	// PutPolicyEntities creates or replaces entities in one transaction.
	PutPolicyEntities(ctx context.Context, entities []*PolicyEntity) error
	// DeletePolicyEntity returns ENOTFOUND for an unknown entity.
	DeletePolicyEntity(ctx context.Context, ref EntityRef) error
	// FindPolicyEntities lists every stored entity, ordered by type and id.
	FindPolicyEntities(ctx context.Context) ([]*PolicyEntity, error)
}

// DecisionRecord is one logged decision of the policy decision point.
type DecisionRecord struct {
	ID            string          `json:"id"`
	Time          time.Time       `json:"time"`
	Source        string          `json:"source"` // http, envoy, nginx, inproc
	Principal     EntityRef       `json:"principal"`
	IdentityID    string          `json:"identity_id"` // resolved identity, "" if none
	Action        EntityRef       `json:"action"`
	Resource      EntityRef       `json:"resource"`
	Decision      string          `json:"decision"` // allow or deny
	Policies      []string        `json:"policies"` // the determining policies
	Errors        []string        `json:"errors"`
	PolicyVersion int64           `json:"policy_version"`
	LatencyMicros int64           `json:"latency_us"`
	Request       json.RawMessage `json:"request"` // the request as decided, for replay
	// WouldDeny marks a decision taken in monitor mode: the policy set
	// denied it (Policies are the denying policies, if any determined it)
	// but the decision point allowed it.
	WouldDeny bool `json:"would_deny,omitempty"`
}

// DecisionFilter selects logged decisions, newest first.
type DecisionFilter struct {
	IdentityID string
	Decision   string // allow or deny
	Action     string // action id
	// WouldDeny selects the decisions monitor mode allowed that the policy
	// set would have denied.
	WouldDeny bool
	Since     *time.Time
	Until     *time.Time
	Cursor    string
	Limit     int
}

// Validate checks the filter and normalises its page size.
func (f *DecisionFilter) Validate() error {
	if f.Decision != "" && f.Decision != "allow" && f.Decision != "deny" {
		return FieldErrorf("decision", "decision %q is not allow or deny", f.Decision)
	}
	return normaliseLimit(&f.Limit)
}

// DecisionLog stores decisions. Records are logs, not changes: they are not
// audited, and they are written in batches.
type DecisionLog interface {
	// RecordDecisions stores decisions in one transaction.
	RecordDecisions(ctx context.Context, records []*DecisionRecord) error
	// FindDecisions returns a page of decisions, newest first.
	FindDecisions(ctx context.Context, filter DecisionFilter) ([]*DecisionRecord, string, error)
}

// DecisionActivityLog writes logged decisions together with the activity
// events they become, in one transaction: half the commits of writing
// them apart, and never a decision without its event or the reverse.
type DecisionActivityLog interface {
	DecisionLog
	// RecordDecisionActivity stores records and activity in one
	// transaction, as RecordDecisions and RecordActivity would.
	RecordDecisionActivity(ctx context.Context, records []*DecisionRecord, activity ActivityBatch) error
}

// Change announces that an object changed: its audit target type
// ("identity", "credential", "policy_set", "policy_entity", ...) and id.
type Change struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// ChangeFeed delivers committed changes, from this process and from every
// replica sharing the database, so that caches can be invalidated.
type ChangeFeed interface {
	// SubscribeChanges returns a channel of changes until ctx ends. A
	// Change with Type "*" means changes may have been missed (the feed
	// reconnected): drop every cache.
	SubscribeChanges(ctx context.Context) <-chan Change
}
