// Package onboard runs NHI onboarding: anyone with a token asks for a new
// identity (kind, provider, purpose, owning team and person, environment,
// permissions, expiry or review interval) or claims a discovered identity
// that nobody onboarded. The onboarding policy (Cedar) approves low-risk
// requests at once and routes privileged ones to one or two approvers,
// never the requester. An approved request creates a managed identity
// (and, for a warden workload, its registration entry) or takes over the
// claimed identity, in the same transaction as the approval.
package onboard

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// Notifier is told about onboarding requests: "pending" when a request
// waits for approvers, "approved" when its identity was created or
// claimed (its owner now answers for it), "denied" when it was refused.
// Delivery failures are the notifier's to report; they never undo the
// request.
type Notifier interface {
	NotifyOnboarding(ctx context.Context, event string, r *warden.OnboardingRequest)
}

// Config wires a Service. Store and Identities are required.
type Config struct {
	Store warden.OnboardingStore
	// Identities finds claimed identities and existing external ids.
	Identities warden.IdentityService
	// Policy decides requests; nil means DefaultPolicy.
	Policy *Policy
	// TrustDomain is the issuer's SPIFFE trust domain: a warden workload's
	// SPIFFE ID must be in it. "" refuses warden workloads (no issuer).
	TrustDomain string
	// Notifier, when set, is told about pending and decided requests.
	Notifier Notifier
	Now      func() time.Time
	Logger   *slog.Logger
}

// Service implements warden.OnboardingService.
type Service struct {
	cfg Config
}

var _ warden.OnboardingService = (*Service)(nil)

// New returns a Service for cfg with defaults filled in.
func New(cfg Config) *Service {
	if cfg.Store == nil || cfg.Identities == nil {
		panic("onboard.New: Store and Identities are required")
	}
	if cfg.Policy == nil {
		cfg.Policy = DefaultPolicy()
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

// requester is the API token in ctx; onboarding is asked and answered by
// people with API tokens.
func requester(ctx context.Context) (warden.Actor, error) {
	actor := warden.ActorFromContext(ctx)
	if actor.Type != "token" || actor.ID == "" {
		return actor, warden.Errorf(warden.EFORBIDDEN, "onboarding requests are made and answered with an API token")
	}
	return actor, nil
}

// NewRequest checks a caller's input for a new identity and builds the
// request it asks for, before the policy sees it: durations and dates
// parsed, text trimmed, every field validated (EINVALID naming it).
func NewRequest(in warden.OnboardingInput, actor warden.Actor, now time.Time) (*warden.OnboardingRequest, error) {
	interval, err := parseReviewInterval(in.ReviewInterval)
	if err != nil {
		return nil, err
	}
	expires, err := parseExpiry(in.Expires, now)
	if err != nil {
		return nil, err
	}
	r := &warden.OnboardingRequest{
		Type: warden.OnboardNew, Status: warden.OnboardPending,
		Kind: warden.IdentityKind(strings.TrimSpace(string(in.Kind))), Provider: warden.Provider(strings.TrimSpace(string(in.Provider))),
		ExternalID: strings.TrimSpace(in.ExternalID), Name: strings.TrimSpace(in.Name), Purpose: strings.TrimSpace(in.Purpose),
		Team: strings.TrimSpace(in.Team), Owner: strings.TrimSpace(in.Owner), Environment: strings.TrimSpace(in.Environment),
		Permissions: dedupe(in.Permissions), Labels: in.Labels, ReviewIntervalDays: interval, ExpiresAt: expires, Entry: in.Entry,
		Requester: actor.String(), RequesterID: actor.ID, RequesterName: actor.Name, Approvals: []warden.OnboardingApproval{},
	}
	if r.Name == "" {
		r.Name = defaultName(r.ExternalID)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	// The identity it would create must be one the inventory accepts.
	if err := r.NewIdentity(now).Validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// RequestOnboarding implements warden.OnboardingService.
func (s *Service) RequestOnboarding(ctx context.Context, in warden.OnboardingInput) (*warden.OnboardingRequest, error) {
	actor, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r, err := NewRequest(in, actor, now)
	if err != nil {
		return nil, err
	}
	if r.WardenWorkload() {
		td := s.cfg.TrustDomain
		if td == "" {
			return nil, warden.Errorf(warden.ECONFLICT, "this server runs no credential issuer, so it cannot onboard a warden workload")
		}
		if !strings.HasPrefix(r.ExternalID, "spiffe://"+td+"/") {
			return nil, warden.FieldErrorf("external_id", "a warden workload's SPIFFE ID must be in trust domain %s: spiffe://%s/<path>", td, td)
		}
	}
	existing, err := s.cfg.Identities.FindIdentityByRef(ctx, r.ExternalID, r.Provider)
	switch {
	case err == nil && !existing.Managed:
		return nil, warden.Errorf(warden.ECONFLICT, "provider %s already has %s (id %s), not onboarded yet: claim it instead (warden onboard claim %s)", r.Provider, clip(r.ExternalID), existing.ID, existing.ID)
	case err == nil:
		return nil, warden.Errorf(warden.ECONFLICT, "provider %s already has %s (id %s), owned by %q", r.Provider, clip(r.ExternalID), existing.ID, existing.Owner)
	case warden.ErrorCode(err) != warden.ENOTFOUND:
		return nil, fmt.Errorf("request onboarding: %w", err)
	}
	identity := r.NewIdentity(now)
	return s.decide(ctx, r, identity, now, "onboarding.request")
}

// ClaimIdentity implements warden.OnboardingService.
func (s *Service) ClaimIdentity(ctx context.Context, in warden.ClaimInput) (*warden.OnboardingRequest, error) {
	actor, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	ref := strings.TrimSpace(in.Identity)
	if ref == "" {
		return nil, warden.FieldErrorf("identity", "identity is required: name the identity you claim (id or external id)")
	}
	if len(ref) > warden.MaxExternalIDLen {
		return nil, warden.FieldErrorf("identity", "identity is longer than %d bytes", warden.MaxExternalIDLen)
	}
	if in.Provider != "" && !in.Provider.Valid() {
		return nil, warden.FieldErrorf("provider", "provider %q is not a valid provider name", clip(string(in.Provider)))
	}
	interval, err := parseReviewInterval(in.ReviewInterval)
	if err != nil {
		return nil, err
	}
	identity, err := s.cfg.Identities.FindIdentityByRef(ctx, ref, in.Provider)
	if err != nil {
		if warden.ErrorCode(err) == warden.ENOTFOUND {
			return nil, warden.FieldErrorf("identity", "no identity %q in the inventory", clip(ref))
		}
		if warden.ErrorCode(err) == warden.EINTERNAL {
			return nil, fmt.Errorf("claim identity: %w", err)
		}
		return nil, err
	}
	switch {
	case identity.Managed:
		return nil, warden.Errorf(warden.ECONFLICT, "identity %s is onboarded already (owner %q): only not-onboarded identities can be claimed", identity.ID, identity.Owner)
	case identity.Status == warden.StatusDeprovisioned:
		return nil, warden.Errorf(warden.ECONFLICT, "identity %s is deprovisioned: there is nothing left to claim", identity.ID)
	}
	pending, _, err := s.cfg.Store.FindOnboardingRequests(ctx, warden.OnboardingFilter{Type: warden.OnboardClaim, Status: warden.OnboardPending, IdentityID: identity.ID, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("claim identity: %w", err)
	}
	if len(pending) > 0 {
		return nil, warden.Errorf(warden.ECONFLICT, "identity %s already has a pending claim (%s by %s): wait for it to be answered", identity.ID, pending[0].ID, pending[0].Requester)
	}
	r := &warden.OnboardingRequest{
		Type: warden.OnboardClaim, Status: warden.OnboardPending, IdentityID: identity.ID,
		Kind: identity.Kind, Provider: identity.Provider, ExternalID: identity.ExternalID, Name: identity.Name,
		Purpose: strings.TrimSpace(in.Purpose), Team: strings.TrimSpace(in.Team), Owner: strings.TrimSpace(in.Owner),
		Environment: strings.TrimSpace(in.Environment), Labels: in.Labels, ReviewIntervalDays: interval,
		RiskScore: identity.RiskScore, Requester: actor.String(), RequesterID: actor.ID, RequesterName: actor.Name,
		Approvals: []warden.OnboardingApproval{}, Permissions: []string{},
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return s.decide(ctx, r, identity, s.now(), "onboarding.claim")
}

// decide asks the policy about r and stores it: denied, approved at once
// (its identity created or claimed in the same transaction), or pending.
func (s *Service) decide(ctx context.Context, r *warden.OnboardingRequest, identity *warden.Identity, now time.Time, action string) (*warden.OnboardingRequest, error) {
	var expiresIn int64
	if r.ExpiresAt != nil {
		expiresIn = int64(r.ExpiresAt.Sub(now).Hours() / 24)
	}
	v := s.cfg.Policy.evaluate(r, warden.ActorFromContext(ctx).Role, identity, expiresIn)
	for _, e := range append(v.Errors, v.AutoApproveErrors...) {
		s.cfg.Logger.Warn("onboarding policy error", "error", e)
	}
	var effect *warden.OnboardingEffect
	switch {
	case !v.Allowed:
		r.Status, r.Decision, r.DecidedAt = warden.OnboardDenied, "denied by the onboarding policy: "+v.Describe(), &now
		action = "onboarding.deny"
	case v.AutoApprove:
		r.Status, r.Decision, r.DecidedAt = warden.OnboardApproved, "auto-approved by the onboarding policy: "+v.Describe(), &now
		effect = s.effect(r, now)
		action = "onboarding.auto_approve"
	default:
		r.Status, r.RequiredApprovals = warden.OnboardPending, v.Approvals
		r.Decision = fmt.Sprintf("waiting for %d approver(s)", v.Approvals)
		if len(v.DeterminedBy) > 0 {
			r.Decision += " (" + v.Describe() + ")"
		}
	}
	if err := s.cfg.Store.CreateOnboardingRequest(ctx, r, action, effect); err != nil {
		if effect != nil {
			return nil, notApplied(err, "the onboarding policy approved the request, but its identity could not be "+applyVerb(r)+", so nothing was stored")
		}
		return nil, fmt.Errorf("store onboarding request: %w", err)
	}
	s.cfg.Logger.Info("onboarding request", "id", r.ID, "type", r.Type, "status", r.Status, "identity", r.IdentityID, "decision", r.Decision)
	s.notify(ctx, r)
	return r, nil
}

// effect is what approving r changes in the inventory at now.
func (s *Service) effect(r *warden.OnboardingRequest, now time.Time) *warden.OnboardingEffect {
	if r.Type == warden.OnboardClaim {
		return &warden.OnboardingEffect{Claim: func(cur *warden.Identity) warden.IdentityUpdate { return r.ClaimUpdate(cur.Labels, now) }}
	}
	e := &warden.OnboardingEffect{Create: r.NewIdentity(now)}
	if r.WardenWorkload() {
		e.Entry = r.RegistrationEntry("")
	}
	return e
}

func applyVerb(r *warden.OnboardingRequest) string {
	if r.Type == warden.OnboardClaim {
		return "updated"
	}
	return "created"
}

// notApplied says that applying the request failed and what that left
// behind, keeping the cause's code (a taken external id stays ECONFLICT).
func notApplied(err error, what string) error {
	if warden.ErrorCode(err) == warden.EINTERNAL {
		return fmt.Errorf("%s: %w", what, err)
	}
	e := warden.Errorf(warden.ErrorCode(err), "%s: %s", what, warden.ErrorMessage(err))
	e.Field = warden.ErrorField(err)
	return e
}

// ApproveOnboarding implements warden.OnboardingService. The requester
// can never approve their own request; each approver counts once; the
// last approval needed creates (or claims) the identity in the same
// transaction, and when that fails the approval is not recorded and the
// request stays pending.
func (s *Service) ApproveOnboarding(ctx context.Context, id, comment string) (*warden.OnboardingRequest, error) {
	return s.answer(ctx, id, "approve", comment)
}

// DenyOnboarding implements warden.OnboardingService.
func (s *Service) DenyOnboarding(ctx context.Context, id, comment string) (*warden.OnboardingRequest, error) {
	return s.answer(ctx, id, "deny", comment)
}

func (s *Service) answer(ctx context.Context, id, decision, comment string) (*warden.OnboardingRequest, error) {
	if err := checkComment(comment); err != nil {
		return nil, err
	}
	actor, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	applying, verb := false, ""
	out, err := s.cfg.Store.UpdateOnboardingRequest(ctx, id, "onboarding."+decision, func(r *warden.OnboardingRequest) (*warden.OnboardingEffect, error) {
		if r.Status != warden.OnboardPending {
			return nil, warden.Errorf(warden.ECONFLICT, "onboarding request %s is %s, not pending", r.ID, r.Status)
		}
		if actor.ID == r.RequesterID || actor.String() == r.Requester || actor.Name != "" && strings.EqualFold(actor.Name, r.RequesterName) {
			return nil, warden.Errorf(warden.EFORBIDDEN, "you asked for this onboarding, so you cannot %s it: another approver must", decision)
		}
		for _, a := range r.Approvals {
			if a.ApproverID == actor.ID {
				return nil, warden.Errorf(warden.ECONFLICT, "you already answered onboarding request %s: each approver counts once", r.ID)
			}
		}
		r.Approvals = append(r.Approvals, warden.OnboardingApproval{Approver: actor.String(), ApproverID: actor.ID, Decision: decision, Comment: comment, Time: now})
		if decision == "deny" {
			r.Status, r.Decision, r.DecidedAt = warden.OnboardDenied, "denied by "+actor.String(), &now
			return nil, nil
		}
		var approvers []string
		for _, a := range r.Approvals {
			if a.Decision == "approve" {
				approvers = append(approvers, a.Approver)
			}
		}
		if len(approvers) < max(r.RequiredApprovals, 1) {
			r.Decision = fmt.Sprintf("approved by %s; waiting for %d more approver(s)", strings.Join(approvers, ", "), max(r.RequiredApprovals, 1)-len(approvers))
			return nil, nil
		}
		r.Status, r.Decision, r.DecidedAt = warden.OnboardApproved, "approved by "+strings.Join(approvers, ", "), &now
		applying, verb = true, applyVerb(r)
		return s.effect(r, now), nil
	})
	if err != nil {
		if applying {
			return nil, notApplied(err, fmt.Sprintf("the identity of onboarding request %s could not be %s, so your approval was not recorded and the request stays pending", id, verb))
		}
		return nil, err
	}
	s.cfg.Logger.Info("onboarding answered", "id", out.ID, "decision", decision, "by", actor.String(), "status", out.Status, "identity", out.IdentityID)
	if out.Status != warden.OnboardPending {
		s.notify(ctx, out)
	}
	return out, nil
}

// notify tells the notifier about r in its current status.
func (s *Service) notify(ctx context.Context, r *warden.OnboardingRequest) {
	if s.cfg.Notifier != nil {
		s.cfg.Notifier.NotifyOnboarding(context.WithoutCancel(ctx), string(r.Status), r)
	}
}

func checkComment(comment string) error {
	if len(comment) > warden.MaxTextLen {
		return warden.FieldErrorf("comment", "comment is longer than %d bytes", warden.MaxTextLen)
	}
	for _, c := range comment {
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
			return warden.FieldErrorf("comment", "comment contains a control character")
		}
	}
	return nil
}

// FindOnboardingRequest implements warden.OnboardingService.
func (s *Service) FindOnboardingRequest(ctx context.Context, id string) (*warden.OnboardingRequest, error) {
	return s.cfg.Store.FindOnboardingRequest(ctx, id)
}

// FindOnboardingRequests implements warden.OnboardingService.
func (s *Service) FindOnboardingRequests(ctx context.Context, f warden.OnboardingFilter) ([]*warden.OnboardingRequest, string, error) {
	return s.cfg.Store.FindOnboardingRequests(ctx, f)
}

// dedupe trims the permissions and drops empty and repeated ones, keeping
// their order.
func dedupe(list []string) []string {
	out := make([]string, 0, len(list))
	seen := map[string]bool{}
	for _, p := range list {
		p = strings.TrimSpace(p)
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// defaultName is the last path segment of an external id ("renderer" for
// spiffe://warden.local/billing/renderer).
func defaultName(externalID string) string {
	name := externalID
	if i := strings.LastIndexAny(name, "/:"); i >= 0 && i < len(name)-1 {
		name = name[i+1:]
	}
	if len(name) > warden.MaxNameLen {
		name = name[:warden.MaxNameLen]
	}
	return name
}
