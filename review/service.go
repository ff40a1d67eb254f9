// Package review runs recertification campaigns: every identity whose
// review is due gets an item its owner answers keep, reduce or remove,
// seeing the identity's usage, permissions used versus granted and open
// findings. Reminders go out by webhook; unanswered items escalate at the
// due date and, after a grace period, the identity is disabled through the
// governance actions (control disable-review-expired), which in monitor
// mode only report what they would have done. Everything is audited by the
// store in the transaction of the change.
package review

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// Defaults of Config.
const (
	DefaultDue             = 14 * 24 * time.Hour
	DefaultGrace           = 7 * 24 * time.Hour
	DefaultReminder        = 3 * 24 * time.Hour
	DefaultActivityWindow  = 30 * 24 * time.Hour
	DefaultRightsizeWindow = warden.DefaultRightsizeWindow
	DefaultSweepInterval   = 5 * time.Minute
)

// Notification events.
const (
	EventReminder  = "review.reminder"  // to an owner: items wait for answers
	EventEscalated = "review.escalated" // to the escalation contact: items passed their due date
)

// Notification tells someone about review items: an owner about their
// pending items, the escalation contact about items past the due date.
type Notification struct {
	Event    string                 `json:"event"`
	To       string                 `json:"to"` // the owner or escalation contact; "" when the identities have no owner
	Campaign *warden.ReviewCampaign `json:"campaign"`
	Items    []*warden.ReviewItem   `json:"items"`
}

// Notifier delivers notifications. Delivery failures are the notifier's
// to report; they never undo the change that was notified.
type Notifier interface {
	NotifyReview(ctx context.Context, n Notification)
}

// Config wires a Service. Store, Identities, Findings and Events are
// required.
type Config struct {
	Store      warden.ReviewStore
	Identities warden.IdentityService
	Findings   warden.FindingService
	Events     warden.EventService
	// Rightsize compares permissions used with those granted; nil leaves
	// that part of the snapshot empty (with a note).
	Rightsize warden.RightsizeService
	// Actions disables identities whose review expired; nil leaves
	// expired items escalated.
	Actions  warden.GovernanceActions
	Notifier Notifier
	Schedule Schedule
	// Defaults of campaigns that do not say otherwise; zero means
	// DefaultDue, DefaultGrace and DefaultReminder. NoGrace makes the
	// default grace period zero: disable right at the due date.
	Due, Grace, Reminder time.Duration
	NoGrace              bool
	EscalateTo           string
	// ActivityWindow is how far back the snapshot counts activity;
	// RightsizeWindow how far back permissions used are read.
	ActivityWindow  time.Duration
	RightsizeWindow time.Duration
	Now             func() time.Time
	Logger          *slog.Logger
}

// Service implements warden.ReviewService.
type Service struct {
	cfg Config
}

var _ warden.ReviewService = (*Service)(nil)

// New returns a Service for cfg with defaults filled in.
func New(cfg Config) *Service {
	if cfg.Store == nil || cfg.Identities == nil || cfg.Findings == nil || cfg.Events == nil {
		panic("review.New: Store, Identities, Findings and Events are required")
	}
	cfg.Schedule = cfg.Schedule.withDefaults()
	if cfg.Due <= 0 {
		cfg.Due = DefaultDue
	}
	if cfg.Grace < 0 || cfg.NoGrace {
		cfg.Grace = 0
	} else if cfg.Grace == 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Reminder <= 0 {
		cfg.Reminder = DefaultReminder
	}
	if cfg.ActivityWindow <= 0 {
		cfg.ActivityWindow = DefaultActivityWindow
	}
	if cfg.RightsizeWindow <= 0 {
		cfg.RightsizeWindow = DefaultRightsizeWindow
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{cfg: cfg}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// Schedule returns the tiers' schedule in use.
func (s *Service) Schedule() Schedule { return s.cfg.Schedule }

// campaign builds the campaign in asks for, with the service's defaults.
func (s *Service) campaign(ctx context.Context, in warden.ReviewInput, now time.Time) (*warden.ReviewCampaign, error) {
	c := &warden.ReviewCampaign{Name: strings.TrimSpace(in.Name), Tier: in.Tier, CreatedBy: warden.ActorFromContext(ctx).String(),
		EscalateTo: strings.TrimSpace(in.EscalateTo), DisableAfterGrace: in.Disable == nil || *in.Disable}
	if c.Tier == "" {
		c.Tier = warden.TierAll
	}
	if c.Tier != warden.TierAll && !c.Tier.Valid() {
		return nil, warden.FieldErrorf("tier", "tier %q is not privileged, standard or all", in.Tier)
	}
	if c.Name == "" {
		c.Name = fmt.Sprintf("%s review %s", c.Tier, now.Format("2006-01-02"))
	}
	if c.EscalateTo == "" {
		c.EscalateTo = s.cfg.EscalateTo
	}
	due, grace, reminder := s.cfg.Due, s.cfg.Grace, s.cfg.Reminder
	var err error
	if in.Due != "" {
		if due, err = ParseDuration("due", in.Due, time.Hour); err != nil {
			return nil, err
		}
	}
	if in.Grace != "" {
		if grace, err = ParseDuration("grace", in.Grace, 0); err != nil {
			return nil, err
		}
	}
	if in.Reminder != "" {
		if reminder, err = ParseDuration("reminder", in.Reminder, MinReminderInterval); err != nil {
			return nil, err
		}
	}
	c.DueAt = now.Add(due)
	c.GraceSeconds, c.ReminderSeconds = int64(grace/time.Second), int64(reminder/time.Second)
	return c, c.Validate()
}

// StartReview implements warden.ReviewService.
func (s *Service) StartReview(ctx context.Context, in warden.ReviewInput) (*warden.ReviewCampaign, error) {
	now := s.now()
	c, err := s.campaign(ctx, in, now)
	if err != nil {
		return nil, err
	}
	busy, err := s.underReview(ctx)
	if err != nil {
		return nil, err
	}
	var items []*warden.ReviewItem
	f := warden.IdentityFilter{Limit: warden.MaxPageSize, Sort: "created_at"}
	for {
		page, next, err := s.cfg.Identities.FindIdentities(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("start review: identities: %w", err)
		}
		for _, identity := range page {
			if busy[identity.ID] || !due(identity, now) {
				continue
			}
			open, err := s.openFindings(ctx, identity.ID)
			if err != nil {
				return nil, err
			}
			tier, why := s.cfg.Schedule.Classify(identity, open)
			if c.Tier != warden.TierAll && tier != c.Tier {
				continue
			}
			item := &warden.ReviewItem{IdentityID: identity.ID, Identity: identity.ExternalID, Name: identity.Name,
				Owner: identity.Owner, Tier: tier, Why: why}
			item.Snapshot = s.snapshot(ctx, identity, open, now)
			items = append(items, item)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if len(items) == 0 {
		return nil, warden.Errorf(warden.ECONFLICT, "no %s identity is due for review: every one was reviewed within its interval or is in an open campaign", tierWord(c.Tier))
	}
	if err := s.cfg.Store.CreateReviewCampaign(ctx, c, items); err != nil {
		return nil, fmt.Errorf("start review: %w", err)
	}
	s.cfg.Logger.Info("review campaign started", "campaign", c.ID, "tier", c.Tier, "items", c.Progress.Total)
	return c, nil
}

func tierWord(t warden.ReviewTier) string {
	if t == warden.TierAll {
		return "active"
	}
	return string(t)
}

// due reports whether an identity's review is due at now: active or
// quarantined, with a review date passed or never set.
func due(identity *warden.Identity, now time.Time) bool {
	if identity.Status != warden.StatusActive && identity.Status != warden.StatusQuarantined {
		return false
	}
	return identity.NextReviewAt == nil || !identity.NextReviewAt.After(now)
}

// underReview returns the identities that have an open item.
func (s *Service) underReview(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.eachItem(ctx, warden.ReviewItemFilter{Open: true}, func(it *warden.ReviewItem) error {
		out[it.IdentityID] = true
		return nil
	})
	return out, err
}

// eachItem calls fn for every item matching f, page by page.
func (s *Service) eachItem(ctx context.Context, f warden.ReviewItemFilter, fn func(*warden.ReviewItem) error) error {
	f.Limit = warden.MaxPageSize
	for {
		page, next, err := s.cfg.Store.FindReviewItems(ctx, f)
		if err != nil {
			return fmt.Errorf("review items: %w", err)
		}
		for _, it := range page {
			if err := fn(it); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		f.Cursor = next
	}
}

// FindReviewCampaign implements warden.ReviewService.
func (s *Service) FindReviewCampaign(ctx context.Context, id string) (*warden.ReviewCampaign, error) {
	return s.cfg.Store.FindReviewCampaign(ctx, id)
}

// FindReviewCampaigns implements warden.ReviewService.
func (s *Service) FindReviewCampaigns(ctx context.Context, f warden.ReviewCampaignFilter) ([]*warden.ReviewCampaign, string, error) {
	return s.cfg.Store.FindReviewCampaigns(ctx, f)
}

// FindReviewItem implements warden.ReviewService.
func (s *Service) FindReviewItem(ctx context.Context, id string) (*warden.ReviewItem, error) {
	return s.cfg.Store.FindReviewItem(ctx, id)
}

// FindReviewItems implements warden.ReviewService.
func (s *Service) FindReviewItems(ctx context.Context, f warden.ReviewItemFilter) ([]*warden.ReviewItem, string, error) {
	return s.cfg.Store.FindReviewItems(ctx, f)
}
