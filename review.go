package warden

import (
	"context"
	"time"
)

// ReviewTier is the risk tier of a review: privileged identities are
// recertified more often than standard ones. What makes an identity
// privileged is the review service's to decide (see docs/reviews.md).
type ReviewTier string

// Review tiers. TierAll is only a selector: a campaign over every tier.
const (
	TierPrivileged ReviewTier = "privileged"
	TierStandard   ReviewTier = "standard"
	TierAll        ReviewTier = "all"
)

// ReviewTiers lists the tiers an identity can be in.
var ReviewTiers = []ReviewTier{TierPrivileged, TierStandard}

// Valid reports whether t is privileged or standard.
func (t ReviewTier) Valid() bool { return contains(ReviewTiers, t) }

// CampaignStatus is whether a campaign still waits for answers.
type CampaignStatus string

// Campaign statuses. A campaign closes by itself when no item is pending
// or escalated any more.
const (
	CampaignOpen   CampaignStatus = "open"
	CampaignClosed CampaignStatus = "closed"
)

// CampaignStatuses lists every valid campaign status.
var CampaignStatuses = []CampaignStatus{CampaignOpen, CampaignClosed}

// Valid reports whether s is one of CampaignStatuses.
func (s CampaignStatus) Valid() bool { return contains(CampaignStatuses, s) }

// ReviewItemStatus is where one identity's review is.
type ReviewItemStatus string

// Review item statuses. Pending and escalated items wait for their owner;
// answered, disabled and reported are final. Disabled means the review
// expired and the identity was disabled (enforce mode); reported means it
// would have been (monitor mode) and the owner was told.
const (
	ItemPending   ReviewItemStatus = "pending"
	ItemAnswered  ReviewItemStatus = "answered"
	ItemEscalated ReviewItemStatus = "escalated"
	ItemDisabled  ReviewItemStatus = "disabled"
	ItemReported  ReviewItemStatus = "reported"
)

// ReviewItemStatuses lists every valid item status.
var ReviewItemStatuses = []ReviewItemStatus{ItemPending, ItemAnswered, ItemEscalated, ItemDisabled, ItemReported}

// Valid reports whether s is one of ReviewItemStatuses.
func (s ReviewItemStatus) Valid() bool { return contains(ReviewItemStatuses, s) }

// Open reports whether the item still waits for an answer.
func (s ReviewItemStatus) Open() bool { return s == ItemPending || s == ItemEscalated }

// ReviewAnswer is an owner's decision about one identity.
type ReviewAnswer string

// Review answers: keep it as it is, reduce its permissions to what it
// uses (the item carries the proposal), or remove it (disabled at once).
const (
	AnswerKeep   ReviewAnswer = "keep"
	AnswerReduce ReviewAnswer = "reduce"
	AnswerRemove ReviewAnswer = "remove"
)

// ReviewAnswers lists every valid answer.
var ReviewAnswers = []ReviewAnswer{AnswerKeep, AnswerReduce, AnswerRemove}

// Valid reports whether a is one of ReviewAnswers.
func (a ReviewAnswer) Valid() bool { return contains(ReviewAnswers, a) }

// ReviewCampaign is one recertification round: every identity of a tier
// whose review was due when it started, one item each, answered by the
// identities' owners before DueAt. Unanswered items escalate at DueAt
// and, when DisableAfterGrace is set, their identities are disabled
// (control disable-review-expired, in its mode) GraceSeconds later.
type ReviewCampaign struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Tier      ReviewTier `json:"tier"` // privileged, standard or all
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	DueAt     time.Time  `json:"due_at"`
	// ReminderSeconds is the least time between two reminders of one item.
	ReminderSeconds int64 `json:"reminder_seconds"`
	// EscalateTo is the contact told about items unanswered at DueAt.
	EscalateTo        string         `json:"escalate_to"`
	GraceSeconds      int64          `json:"grace_seconds"`
	DisableAfterGrace bool           `json:"disable_after_grace"`
	Status            CampaignStatus `json:"status"`
	ClosedAt          *time.Time     `json:"closed_at,omitempty"`
	// Progress is computed from the items when the campaign is read.
	Progress ReviewProgress `json:"progress"`
}

// DisableAt is when unanswered items' identities are disabled.
func (c *ReviewCampaign) DisableAt() time.Time {
	return c.DueAt.Add(time.Duration(c.GraceSeconds) * time.Second)
}

// Validate checks a new campaign before it is stored.
func (c *ReviewCampaign) Validate() error {
	if err := checkText("name", c.Name, MaxNameLen, true); err != nil {
		return err
	}
	if c.Tier != TierAll && !c.Tier.Valid() {
		return FieldErrorf("tier", "tier %q is not privileged, standard or all", c.Tier)
	}
	if c.DueAt.IsZero() {
		return FieldErrorf("due", "due date is required")
	}
	if c.ReminderSeconds <= 0 {
		return FieldErrorf("reminder", "reminder interval must be positive")
	}
	if c.GraceSeconds < 0 {
		return FieldErrorf("grace", "grace period must not be negative")
	}
	return checkText("escalate_to", c.EscalateTo, MaxNameLen, false)
}

// ReviewProgress counts a campaign's items by status and answer.
type ReviewProgress struct {
	Total     int `json:"total"`
	Pending   int `json:"pending"`
	Answered  int `json:"answered"`
	Escalated int `json:"escalated"`
	Disabled  int `json:"disabled"`
	Reported  int `json:"reported"`
	Keep      int `json:"keep"`
	Reduce    int `json:"reduce"`
	Remove    int `json:"remove"`
	// CompletionRate is the share of items answered by their owners
	// (0-1); expired items count as not completed.
	CompletionRate float64 `json:"completion_rate"`
}

// Add counts one item with status s and answer a.
func (p *ReviewProgress) Add(s ReviewItemStatus, a ReviewAnswer, n int) {
	p.Total += n
	switch s {
	case ItemPending:
		p.Pending += n
	case ItemAnswered:
		p.Answered += n
	case ItemEscalated:
		p.Escalated += n
	case ItemDisabled:
		p.Disabled += n
	case ItemReported:
		p.Reported += n
	}
	switch a {
	case AnswerKeep:
		p.Keep += n
	case AnswerReduce:
		p.Reduce += n
	case AnswerRemove:
		p.Remove += n
	}
	p.CompletionRate = 0
	if p.Total > 0 {
		p.CompletionRate = float64(p.Answered) / float64(p.Total)
	}
}

// ReviewItem is one identity's review in a campaign: what its owner is
// shown and what they answered.
type ReviewItem struct {
	ID         string     `json:"id"`
	CampaignID string     `json:"campaign_id"`
	IdentityID string     `json:"identity_id"`
	Identity   string     `json:"identity"` // external id, for people
	Name       string     `json:"name"`
	Owner      string     `json:"owner"` // the owner when the campaign started ("" for none)
	Tier       ReviewTier `json:"tier"`
	// Why says what put the identity in its tier.
	Why       string           `json:"why"`
	Status    ReviewItemStatus `json:"status"`
	CreatedAt time.Time        `json:"created_at"`

	Answer     ReviewAnswer `json:"answer,omitempty"`
	Comment    string       `json:"comment,omitempty"`
	AnsweredBy string       `json:"answered_by,omitempty"`
	AnsweredAt *time.Time   `json:"answered_at,omitempty"`
	// NextReviewAt is the review date an answer set on the identity.
	NextReviewAt *time.Time `json:"next_review_at,omitempty"`
	// Proposal is, for a reduce answer, what to remove: the owner
	// applies it where the permissions are granted.
	Proposal *ReviewProposal `json:"proposal,omitempty"`

	RemindedAt  *time.Time `json:"reminded_at,omitempty"`
	Reminders   int        `json:"reminders"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
	// DisablingAt marks an expired item whose identity is being disabled:
	// from then on it takes no answer.
	DisablingAt *time.Time `json:"disabling_at,omitempty"`
	ExpiredAt   *time.Time `json:"expired_at,omitempty"`
	// EnforcementEventID is the disable (or would-disable) event.
	EnforcementEventID string `json:"enforcement_event_id,omitempty"`

	Snapshot ReviewSnapshot `json:"snapshot"`
}

// ReviewSnapshot is what the owner is shown about the identity, taken
// when the campaign started.
type ReviewSnapshot struct {
	TakenAt     time.Time  `json:"taken_at"`
	Environment string     `json:"environment"`
	Purpose     string     `json:"purpose"`
	RiskScore   int        `json:"risk_score"`
	LastUsedAt  *time.Time `json:"last_used_at"`
	// RecentEvents counts the identity's activity events in the last
	// ActivityWindow; RecentEventsCapped says the count stopped at
	// MaxReviewEventCount.
	ActivityWindow     string `json:"activity_window"`
	RecentEvents       int    `json:"recent_events"`
	RecentEventsCapped bool   `json:"recent_events_capped"`
	// Permissions used versus granted, from rightsizing over
	// RightsizeWindow: the used permissions, the granted ones no activity
	// needed (at most MaxReviewPermissions listed) and wildcard grants.
	RightsizeWindow   string              `json:"rightsize_window"`
	PermissionsUsed   int                 `json:"permissions_used"`
	PermissionsUnused int                 `json:"permissions_unused"`
	Used              []string            `json:"used"`
	Unused            []GrantedPermission `json:"unused"`
	Wildcards         []GrantedPermission `json:"wildcards"`
	// RightsizeError says why permissions could not be compared.
	RightsizeError string          `json:"rightsize_error,omitempty"`
	OpenFindings   []ReviewFinding `json:"open_findings"`
}

// Limits on what a snapshot holds.
const (
	MaxReviewPermissions = 50
	MaxReviewFindings    = 50
	MaxReviewEventCount  = 10_000
)

// ReviewFinding is an open finding as a review shows it.
type ReviewFinding struct {
	ID       string   `json:"id"`
	RuleID   string   `json:"rule_id"`
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
}

// ReviewProposal is what a reduce answer proposes to take away: the
// granted permissions no activity needed, and the least-privilege
// policies built from what was used.
type ReviewProposal struct {
	Remove         []GrantedPermission `json:"remove"`
	AWSPolicy      *IAMPolicy          `json:"aws_policy,omitempty"`
	KubernetesRBAC string              `json:"kubernetes_rbac,omitempty"`
	Note           string              `json:"note,omitempty"`
}

// ReviewCampaignFilter selects campaigns, newest first.
type ReviewCampaignFilter struct {
	Status CampaignStatus
	Cursor string
	Limit  int
}

// Validate checks the filter and fills in the default page size.
func (f *ReviewCampaignFilter) Validate() error {
	if f.Status != "" && !f.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", f.Status, joinValues(CampaignStatuses))
	}
	return normaliseLimit(&f.Limit)
}

// ReviewItemFilter selects review items, grouped by owner, then
// identity name.
type ReviewItemFilter struct {
	CampaignID string
	Owner      string
	IdentityID string
	Status     ReviewItemStatus
	// Open selects pending and escalated items; it cannot be combined
	// with Status.
	Open   bool
	Cursor string
	Limit  int
}

// Validate checks the filter and fills in the default page size.
func (f *ReviewItemFilter) Validate() error {
	if f.Status != "" && !f.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", f.Status, joinValues(ReviewItemStatuses))
	}
	if f.Open && f.Status != "" {
		return FieldErrorf("status", "status and open cannot be combined")
	}
	if err := checkText("owner", f.Owner, MaxNameLen, false); err != nil {
		return err
	}
	return normaliseLimit(&f.Limit)
}

// ReviewStore persists campaigns and their items. Every change is
// audited in its transaction.
type ReviewStore interface {
	// CreateReviewCampaign stores the campaign and its items in one
	// transaction (IDs, CreatedAt and the items' CampaignID set by the
	// store), audited as "review.start". Items of identities already in
	// an open item of another campaign are left out; ECONFLICT when no
	// item is left.
	CreateReviewCampaign(ctx context.Context, c *ReviewCampaign, items []*ReviewItem) error
	// FindReviewCampaign returns the campaign with its progress.
	FindReviewCampaign(ctx context.Context, id string) (*ReviewCampaign, error)
	FindReviewCampaigns(ctx context.Context, f ReviewCampaignFilter) ([]*ReviewCampaign, string, error)
	FindReviewItem(ctx context.Context, id string) (*ReviewItem, error)
	FindReviewItems(ctx context.Context, f ReviewItemFilter) ([]*ReviewItem, string, error)
	// UpdateReviewItem reads the item and its campaign, lets fn change
	// the item and write it back with an audit record (before/after),
	// all in one transaction serialised with every other audited writer.
	// When fn returns an identity update, it is applied to the item's
	// identity in the same transaction (audited "identity.update"). When
	// no item of the campaign is open afterwards, the campaign closes
	// (audited "review.close"). fn's error aborts.
	UpdateReviewItem(ctx context.Context, id, action string, fn func(c *ReviewCampaign, it *ReviewItem) (*IdentityUpdate, error)) (*ReviewItem, error)
}

// ReviewInput starts a campaign as a caller asks for it.
type ReviewInput struct {
	Name string     `json:"name"`
	Tier ReviewTier `json:"tier"` // privileged, standard or all (default)
	// Due, Grace and Reminder are durations: "14d", "36h".
	Due        string `json:"due"`
	Grace      string `json:"grace"`
	Reminder   string `json:"reminder"`
	EscalateTo string `json:"escalate_to"`
	// Disable, when false, never disables expired items' identities:
	// they stay escalated. Default true (the control's mode still
	// decides whether disabling is enforced or only reported).
	Disable *bool `json:"disable,omitempty"`
}

// ReviewAnswerInput is an owner's answer to one item.
type ReviewAnswerInput struct {
	Answer  ReviewAnswer `json:"answer"`
	Comment string       `json:"comment"`
}

// ReviewService runs review campaigns. The caller is the actor in ctx.
type ReviewService interface {
	// StartReview takes every active identity of the tier whose review
	// is due (NextReviewAt passed or never set), one item each with its
	// snapshot. ECONFLICT when none is due.
	StartReview(ctx context.Context, in ReviewInput) (*ReviewCampaign, error)
	FindReviewCampaign(ctx context.Context, id string) (*ReviewCampaign, error)
	FindReviewCampaigns(ctx context.Context, f ReviewCampaignFilter) ([]*ReviewCampaign, string, error)
	FindReviewItem(ctx context.Context, id string) (*ReviewItem, error)
	FindReviewItems(ctx context.Context, f ReviewItemFilter) ([]*ReviewItem, string, error)
	// AnswerReview records the answer: keep and reduce move the
	// identity's next review out by its tier's interval (reduce adds the
	// rightsizing proposal), remove disables the identity at once.
	// ECONFLICT when the item was answered or expired, or its campaign
	// is closed.
	AnswerReview(ctx context.Context, itemID string, in ReviewAnswerInput) (*ReviewItem, error)
}
