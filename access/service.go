// Package access runs just-in-time access: a person, workload or AI agent
// asks for a scope for a time and a reason; the access policy (Cedar)
// denies it, grants it at once, or routes it to one or two approvers; an
// approved request is a grant that the decision point sees until it
// expires or is revoked, with a down-scoped token for workloads that
// cannot outlive it. Break-glass grants skip approval, need a second
// factor and a strong reason, and always leave a high-severity detection
// and a review task.
package access

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
	DefaultMaxDuration           = 24 * time.Hour
	DefaultMaxBreakGlassDuration = 4 * time.Hour
	DefaultBreakGlassDuration    = time.Hour
	DefaultMaxTokenLifetime      = time.Hour
	DefaultSweepInterval         = 15 * time.Second
)

// Notifier tells approvers and owners about requests: "pending" when a
// request waits for approvers, "break_glass" when an emergency grant was
// taken. Delivery failures are the notifier's to report; they never undo
// the request.
type Notifier interface {
	NotifyAccess(ctx context.Context, event string, r *warden.AccessRequest)
}

// Config wires a Service. Store and Identities are required.
type Config struct {
	Store      warden.AccessStore
	Identities warden.IdentityService
	// Policy decides requests; nil means DefaultPolicy.
	Policy *Policy
	// Events records grant starts and break-glass use as activity
	// (source warden-access); Detections receives break-glass detections
	// and is required for break-glass.
	Events     warden.EventService
	Detections warden.DetectionService
	// Tokens mints the tokens of workload grants; Revoker revokes them
	// when a grant is revoked. Either may be nil.
	Tokens  warden.GrantTokenMinter
	Revoker warden.CredentialRevoker
	// Decisions is the decision log GrantUsage reads; nil switches it off.
	Decisions warden.DecisionLog
	// Notifier, when set, is told about pending and break-glass requests.
	Notifier Notifier
	// MaxDuration bounds every grant; MaxBreakGlassDuration break-glass.
	MaxDuration           time.Duration
	MaxBreakGlassDuration time.Duration
	// MaxTokenLifetime bounds a grant token below the grant's own end.
	MaxTokenLifetime time.Duration
	// ForbidOwnerApproval refuses approvals by the identity's own owner
	// (an approver token whose name is the owner).
	ForbidOwnerApproval bool
	Now                 func() time.Time
	Logger              *slog.Logger
}

// Service implements warden.AccessService.
type Service struct {
	cfg Config
}

var _ warden.AccessService = (*Service)(nil)

// New returns a Service for cfg with defaults filled in.
func New(cfg Config) *Service {
	if cfg.Store == nil || cfg.Identities == nil {
		panic("access.New: Store and Identities are required")
	}
	if cfg.Policy == nil {
		cfg.Policy = DefaultPolicy()
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = DefaultMaxDuration
	}
	if cfg.MaxBreakGlassDuration <= 0 {
		cfg.MaxBreakGlassDuration = DefaultMaxBreakGlassDuration
	}
	if cfg.MaxTokenLifetime <= 0 {
		cfg.MaxTokenLifetime = DefaultMaxTokenLifetime
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

// newRequest checks the caller's input and builds the request it asks for.
func (s *Service) newRequest(ctx context.Context, in warden.AccessInput, maxDuration time.Duration, defaultDuration time.Duration) (*warden.AccessRequest, *warden.Identity, *warden.AccessCaller, error) {
	caller := warden.AccessCallerFromContext(ctx)
	ref := strings.TrimSpace(in.Identity)
	switch caller.Kind {
	case warden.RequesterWorkload, warden.RequesterAgent:
		if ref == "" {
			ref = caller.IdentityID
		}
	default:
		if ref == "" {
			return nil, nil, nil, warden.FieldErrorf("identity", "identity is required: name the identity that gets the access (id or external id)")
		}
	}
	identity, err := s.cfg.Identities.FindIdentityByRef(ctx, ref, "")
	if err != nil {
		if warden.ErrorCode(err) == warden.ENOTFOUND {
			return nil, nil, nil, warden.FieldErrorf("identity", "no identity %q in the inventory", clip(ref))
		}
		return nil, nil, nil, fmt.Errorf("request access: %w", err)
	}
	if caller.Kind != warden.RequesterPerson && identity.ID != caller.IdentityID {
		return nil, nil, nil, warden.Errorf(warden.EFORBIDDEN, "a workload or agent may ask for access only for its own identity")
	}
	var d time.Duration
	if strings.TrimSpace(in.Duration) == "" && defaultDuration > 0 {
		d = defaultDuration
	} else if d, err = ParseDuration("duration", in.Duration); err != nil {
		return nil, nil, nil, err
	}
	if d > maxDuration {
		return nil, nil, nil, warden.FieldErrorf("duration", "duration %s is longer than the %s this server allows", d, maxDuration)
	}
	r := &warden.AccessRequest{
		IdentityID: identity.ID, Requester: caller.Actor.String(), RequesterID: requesterID(caller), RequesterKind: caller.Kind,
		OnBehalfOf: in.OnBehalfOf, Task: in.Task, Scope: in.Scope, DurationSeconds: int64(d / time.Second),
		Reason: strings.TrimSpace(in.Reason), Approvals: []warden.AccessApproval{}, Tokens: []string{},
	}
	if caller.Kind == warden.RequesterAgent && r.OnBehalfOf == "" && len(caller.Actors) > 0 {
		// The token's subject is the workload the agent acts for.
		r.OnBehalfOf = identity.ExternalID
	}
	return r, identity, caller, nil
}

// requesterID is the id the self-approval check compares: the API token
// of a person, the identity of a workload, the acting agent of an agent.
func requesterID(c *warden.AccessCaller) string {
	switch c.Kind {
	case warden.RequesterAgent:
		if len(c.Actors) > 0 {
			return c.Actors[0]
		}
		return c.IdentityID
	case warden.RequesterWorkload:
		return c.IdentityID
	}
	return c.Actor.ID
}

// RequestAccess implements warden.AccessService: the policy denies the
// request, grants it at once, or leaves it pending for approvers. A
// granted request of a workload that names an audience comes with its
// token.
func (s *Service) RequestAccess(ctx context.Context, in warden.AccessInput) (*warden.AccessRequest, *warden.GrantToken, error) {
	r, identity, caller, err := s.newRequest(ctx, in, s.cfg.MaxDuration, 0)
	if err != nil {
		return nil, nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, nil, err
	}
	v := s.cfg.Policy.evaluate(r, identity)
	// Only the request question's errors are logged here, not those of
	// the auto-approve question (the onboarding service logs both).
	for _, e := range v.Errors {
		s.cfg.Logger.Warn("access policy error", "error", e)
	}
	now := s.now()
	action := "access.request"
	switch {
	case !v.Allowed:
		r.Status, r.Decision, r.DecidedAt = warden.AccessDenied, "denied by the access policy: "+v.Describe(), &now
		action = "access.deny"
	case v.AutoApprove:
		s.grant(r, now, "auto-approved by the access policy: "+v.Describe())
		action = "access.auto_approve"
	default:
		r.Status, r.RequiredApprovals = warden.AccessPending, v.Approvals
		r.Decision = fmt.Sprintf("waiting for %d approver(s)", v.Approvals)
		if len(v.DeterminedBy) > 0 {
			r.Decision += " (" + v.Describe() + ")"
		}
	}
	if err := s.cfg.Store.CreateAccessRequest(ctx, r, action); err != nil {
		return nil, nil, fmt.Errorf("request access: %w", err)
	}
	switch r.Status {
	case warden.AccessPending:
		s.notify(ctx, "pending", r)
	case warden.AccessApproved:
		s.recordGrantEvent(ctx, r, identity, "access.grant")
		if caller.Kind != warden.RequesterPerson && len(in.Audience) > 0 {
			r2, tok, err := s.mint(ctx, r, caller, in.Audience)
			if err != nil {
				return r, nil, err
			}
			return r2, tok, nil
		}
	}
	return r, nil, nil
}

// grant turns r into a grant starting now.
func (s *Service) grant(r *warden.AccessRequest, now time.Time, decision string) {
	end := now.Add(time.Duration(r.DurationSeconds) * time.Second)
	r.Status, r.Decision, r.DecidedAt, r.StartsAt, r.ExpiresAt = warden.AccessApproved, decision, &now, &now, &end
}

// ApproveAccess implements warden.AccessService. The requester can never
// approve their own request, nor (with ForbidOwnerApproval) the owner of
// the identity; each approver counts once.
func (s *Service) ApproveAccess(ctx context.Context, id, comment string) (*warden.AccessRequest, error) {
	return s.answer(ctx, id, "approve", comment)
}

// DenyAccess implements warden.AccessService.
func (s *Service) DenyAccess(ctx context.Context, id, comment string) (*warden.AccessRequest, error) {
	return s.answer(ctx, id, "deny", comment)
}

func (s *Service) answer(ctx context.Context, id, decision, comment string) (*warden.AccessRequest, error) {
	if len(comment) > warden.MaxTextLen {
		return nil, warden.FieldErrorf("comment", "comment is longer than %d bytes", warden.MaxTextLen)
	}
	actor := warden.ActorFromContext(ctx)
	if actor.Type != "token" {
		return nil, warden.Errorf(warden.EFORBIDDEN, "access requests are answered by approvers with an API token")
	}
	var owner string
	if s.cfg.ForbidOwnerApproval {
		current, err := s.cfg.Store.FindAccessRequest(ctx, id)
		if err != nil {
			return nil, err
		}
		identity, err := s.cfg.Identities.FindIdentityByID(ctx, current.IdentityID)
		if err != nil {
			return nil, fmt.Errorf("%s access: %w", decision, err)
		}
		owner = identity.Owner
	}
	now := s.now()
	granted := false
	out, err := s.cfg.Store.UpdateAccessRequest(ctx, id, "access."+decision, func(r *warden.AccessRequest) error {
		if r.Status != warden.AccessPending {
			return warden.Errorf(warden.ECONFLICT, "access request %s is %s, not pending", r.ID, r.Status)
		}
		if actor.ID == r.RequesterID {
			return warden.Errorf(warden.EFORBIDDEN, "you asked for this access, so you cannot %s it: another approver must", decision)
		}
		if owner != "" && strings.EqualFold(actor.Name, owner) {
			return warden.Errorf(warden.EFORBIDDEN, "you own identity %s, and this server does not let owners answer requests for their own identities", r.IdentityID)
		}
		for _, a := range r.Approvals {
			if a.ApproverID == actor.ID {
				return warden.Errorf(warden.ECONFLICT, "you already answered access request %s", r.ID)
			}
		}
		r.Approvals = append(r.Approvals, warden.AccessApproval{Approver: actor.String(), ApproverID: actor.ID, Decision: decision, Comment: comment, Time: now})
		if decision == "deny" {
			r.Status, r.Decision, r.DecidedAt = warden.AccessDenied, "denied by "+actor.String(), &now
			return nil
		}
		approvers := []string{}
		for _, a := range r.Approvals {
			if a.Decision == "approve" {
				approvers = append(approvers, a.Approver)
			}
		}
		if len(approvers) >= max(r.RequiredApprovals, 1) {
			s.grant(r, now, "approved by "+strings.Join(approvers, ", "))
			granted = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if granted {
		if identity, err := s.cfg.Identities.FindIdentityByID(ctx, out.IdentityID); err == nil {
			s.recordGrantEvent(ctx, out, identity, "access.grant")
		}
	}
	return out, nil
}

// RevokeAccess implements warden.AccessService: a grant ends now (its
// tokens are revoked with it), a pending request is withdrawn.
func (s *Service) RevokeAccess(ctx context.Context, id, reason string) (*warden.AccessRequest, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	now := s.now()
	actor := warden.ActorFromContext(ctx)
	out, err := s.cfg.Store.UpdateAccessRequest(ctx, id, "access.revoke", func(r *warden.AccessRequest) error {
		if r.Status != warden.AccessApproved && r.Status != warden.AccessPending {
			return warden.Errorf(warden.ECONFLICT, "access request %s is %s already", r.ID, r.Status)
		}
		r.Status, r.EndedAt, r.EndedBy, r.EndReason = warden.AccessRevoked, &now, actor.String(), reason
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.revokeTokens(ctx, out, "access grant "+out.ID+" revoked: "+reason)
	return out, nil
}

func checkReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return warden.FieldErrorf("reason", "reason is required")
	}
	if len(reason) > warden.MaxTextLen {
		return warden.FieldErrorf("reason", "reason is longer than %d bytes", warden.MaxTextLen)
	}
	return nil
}

// revokeTokens revokes the tokens minted for a grant that ended early.
func (s *Service) revokeTokens(ctx context.Context, r *warden.AccessRequest, reason string) {
	if s.cfg.Revoker == nil {
		return
	}
	for _, jti := range r.Tokens {
		if _, err := s.cfg.Revoker.RevokeIssued(ctx, warden.Revocation{CredentialID: jti, Reason: reason}); err != nil && warden.ErrorCode(err) != warden.ECONFLICT {
			s.cfg.Logger.Error("revoke grant token", "grant", r.ID, "jti", jti, "error", err)
		}
	}
}

// GrantToken implements warden.AccessService.
func (s *Service) GrantToken(ctx context.Context, id string, audience []string) (*warden.GrantToken, error) {
	caller := warden.AccessCallerFromContext(ctx)
	if caller.Kind == warden.RequesterPerson {
		return nil, warden.Errorf(warden.EFORBIDDEN, "grant tokens are for workloads and agents: authenticate with your warden-issued token")
	}
	r, err := s.cfg.Store.FindAccessRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.IdentityID != caller.IdentityID {
		return nil, warden.Errorf(warden.EFORBIDDEN, "access request %s is not for your identity", id)
	}
	if len(audience) == 0 {
		return nil, warden.FieldErrorf("audience", "at least one audience is required")
	}
	_, tok, err := s.mint(ctx, r, caller, audience)
	return tok, err
}

// mint issues a token with exactly the grant's scope that ends with the
// grant (or sooner, at MaxTokenLifetime), and records its id on the grant.
func (s *Service) mint(ctx context.Context, r *warden.AccessRequest, caller *warden.AccessCaller, audience []string) (*warden.AccessRequest, *warden.GrantToken, error) {
	if s.cfg.Tokens == nil {
		return r, nil, warden.Errorf(warden.ECONFLICT, "this server issues no tokens: the credential issuer is not configured")
	}
	now := s.now()
	if !r.Active(now) {
		return r, nil, warden.Errorf(warden.ECONFLICT, "access request %s is not an active grant (status %s)", r.ID, r.Status)
	}
	end := *r.ExpiresAt
	if limit := now.Add(s.cfg.MaxTokenLifetime); limit.Before(end) {
		end = limit
	}
	tok, err := s.cfg.Tokens.MintGrantToken(ctx, warden.GrantTokenRequest{
		SubjectTokenID: caller.TokenID, GrantID: r.ID, Scope: r.Scope.Strings(), Audience: audience, ExpiresAt: end,
	})
	if err != nil {
		return r, nil, err
	}
	out, err := s.cfg.Store.UpdateAccessRequest(ctx, r.ID, "access.token", func(g *warden.AccessRequest) error {
		if !g.Active(now) {
			return warden.Errorf(warden.ECONFLICT, "access request %s ended while its token was minted", g.ID)
		}
		g.Tokens = append(g.Tokens, tok.ID)
		return nil
	})
	if err != nil {
		// The grant ended in between: the token must not outlive it.
		if s.cfg.Revoker != nil {
			_, _ = s.cfg.Revoker.RevokeIssued(ctx, warden.Revocation{CredentialID: tok.ID, Reason: "grant " + r.ID + " ended while its token was minted"})
		}
		return r, nil, err
	}
	return out, tok, nil
}

// FindAccessRequest implements warden.AccessService.
func (s *Service) FindAccessRequest(ctx context.Context, id string) (*warden.AccessRequest, error) {
	return s.cfg.Store.FindAccessRequest(ctx, id)
}

// FindAccessRequests implements warden.AccessService.
func (s *Service) FindAccessRequests(ctx context.Context, f warden.AccessRequestFilter) ([]*warden.AccessRequest, string, error) {
	return s.cfg.Store.FindAccessRequests(ctx, f)
}

func (s *Service) notify(ctx context.Context, event string, r *warden.AccessRequest) {
	if s.cfg.Notifier != nil {
		s.cfg.Notifier.NotifyAccess(context.WithoutCancel(ctx), event, r)
	}
}

// recordGrantEvent records the start of a grant as activity of the
// identity (source warden-access), so monitoring and rightsizing see it.
func (s *Service) recordGrantEvent(ctx context.Context, r *warden.AccessRequest, identity *warden.Identity, action string) *warden.Event {
	ev := &warden.Event{
		Time: *r.StartsAt, Source: "warden-access", RawID: action + ":" + r.ID, SourceRef: "access_request:" + r.ID,
		IdentityID: identity.ID, Provider: identity.Provider, Principal: identity.ExternalID, Session: r.Requester,
		Action: action, Resource: strings.Join(r.Scope.Strings(), " "), Outcome: warden.OutcomeAllow,
		Interactive: r.RequesterKind == warden.RequesterPerson,
	}
	if s.cfg.Events == nil {
		return ev
	}
	if _, err := s.cfg.Events.RecordEvents(ctx, []*warden.Event{ev}); err != nil {
		s.cfg.Logger.Error("record access event", "request", r.ID, "error", err)
	}
	return ev
}
