package policy

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	"github.com/google/uuid"

	"github.com/warden-nhi/warden"
)

// Config wires an Engine. Identities is required; every other service is
// optional and switches a capability on.
type Config struct {
	Identities  warden.IdentityService
	Credentials warden.CredentialService // credential age
	Findings    FindingSource            // open finding rules
	Policies    warden.PolicyStore       // the active version; nil: guardrails only
	Entities    warden.EntityStore       // stored resource and action entities
	Grants      GrantSource              // just-in-time access grants
	// Enforcement holds the policy set's mode per environment and team:
	// in monitor mode a deny by the user's policies is answered allow
	// and logged as a would-deny (the guardrails always enforce).
	Enforcement EnforcementSource
	Verifier    warden.TokenVerifier     // principals by token
	Revocations warden.RevocationChecker // context.token.revoked
	// Audience is the audience tokens must carry ("" checks none).
	Audience string
	Log      warden.DecisionLog  // decision log
	Events   warden.EventService // decisions as activity events
	Changes  warden.ChangeFeed   // cache invalidation
	// SampleAllows is the fraction of allow decisions logged (0..1);
	// every deny is logged.
	SampleAllows float64
	// LogFlushInterval is how long a logged decision may wait in memory
	// before its batch is written; 0 means DefaultLogFlushInterval. Shorter
	// spreads the writes into smaller, more frequent transactions.
	LogFlushInterval time.Duration
	// IdentityTTL bounds how long an enriched identity is cached without a
	// change notification (credential ages move with time); default 5m.
	// Each entry lives between ¾ of it and all of it, at random.
	IdentityTTL time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
}

// Engine is the policy decision point. It is safe for concurrent use.
type Engine struct {
	cfg      Config
	set      atomic.Pointer[Set]
	stored   atomic.Pointer[types.EntityMap]
	modes    atomic.Pointer[[]*warden.EnforcementSetting] // the policy control's settings
	ids      *identityCache
	resolve  *resolver
	tokens   *tokenCache
	writer   *decisionWriter
	logger   *slog.Logger
	reloadMu sync.Mutex
}

// New returns an Engine with only the guardrails loaded; call Start to
// load the active policy version and follow changes.
func New(cfg Config) *Engine {
	if cfg.Identities == nil {
		panic("policy.New: Identities is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdentityTTL <= 0 {
		cfg.IdentityTTL = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	e := &Engine{
		cfg:     cfg,
		ids:     newIdentityCache(cfg.IdentityTTL, 1<<20),
		resolve: &resolver{identities: cfg.Identities, credentials: cfg.Credentials, findings: cfg.Findings, grants: cfg.Grants},
		tokens:  newTokenCache(1 << 16),
		logger:  cfg.Logger,
	}
	guards, err := Compile(&warden.PolicyVersion{})
	if err != nil {
		panic("policy.New: guardrails do not compile: " + err.Error())
	}
	e.set.Store(guards)
	empty := types.EntityMap{}
	e.stored.Store(&empty)
	if cfg.Log != nil || cfg.Events != nil {
		e.writer = newDecisionWriter(cfg.Log, cfg.Events, cfg.Logger)
		if cfg.LogFlushInterval > 0 {
			e.writer.flushEvery = cfg.LogFlushInterval
		}
	}
	return e
}

// Start loads the active policy version and stored entities, subscribes to
// changes and starts the decision-log writer, all until ctx ends. Call
// Close after ctx ends to flush the log.
func (e *Engine) Start(ctx context.Context) error {
	var changes <-chan warden.Change
	if e.cfg.Changes != nil {
		// Subscribe before loading, so that no change slips in between.
		changes = e.cfg.Changes.SubscribeChanges(ctx)
	}
	if err := e.Reload(ctx); err != nil {
		return err
	}
	if changes != nil {
		go e.follow(ctx, changes)
	}
	if e.writer != nil {
		go e.writer.run(ctx)
	}
	return nil
}

// Close waits for the decision-log writer to flush, after Start's context
// ended.
func (e *Engine) Close() {
	if e.writer != nil {
		e.writer.wait()
	}
}

// Reload reads the active policy version and the stored entities.
func (e *Engine) Reload(ctx context.Context) error {
	if err := e.reloadPolicies(ctx); err != nil {
		return err
	}
	if err := e.reloadModes(ctx); err != nil {
		return err
	}
	return e.reloadEntities(ctx)
}

// reloadModes reads the policy set's enforcement settings.
func (e *Engine) reloadModes(ctx context.Context) error {
	if e.cfg.Enforcement == nil {
		return nil
	}
	all, err := e.cfg.Enforcement.FindEnforcementSettings(ctx)
	if err != nil {
		return fmt.Errorf("load enforcement settings: %w", err)
	}
	var mine []*warden.EnforcementSetting
	for _, s := range all {
		if s.Control == warden.ControlPolicy {
			mine = append(mine, s)
		}
	}
	e.modes.Store(&mine)
	return nil
}

// monitoring reports whether the policy set runs in monitor mode for the
// principal (nil when it is not a known identity).
func (e *Engine) monitoring(principal *identityEntry) bool {
	settings := e.modes.Load()
	if settings == nil || len(*settings) == 0 {
		return false // the policy set's default: enforce
	}
	var team, env string
	if principal != nil {
		team, env = principal.team, principal.env
	}
	mode, _ := warden.ResolveEnforcementModeFor(*settings, warden.ControlPolicy, team, env)
	return mode == warden.ModeMonitor
}

func (e *Engine) reloadPolicies(ctx context.Context) error {
	if e.cfg.Policies == nil {
		return nil
	}
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	v, err := e.cfg.Policies.ActivePolicyVersion(ctx)
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		return nil
	} else if err != nil {
		return fmt.Errorf("load active policy version: %w", err)
	}
	if cur := e.set.Load(); cur != nil && cur.Version == v.Version {
		return nil
	}
	set, err := Compile(v)
	if err != nil {
		// Versions are validated before activation; keep deciding with
		// the set we have rather than with nothing.
		e.logger.Error("active policy version does not compile; keeping the previous one", "version", v.Version, "error", err)
		return nil
	}
	e.set.Store(set)
	e.logger.Info("policy version loaded", "version", v.Version, "policies", set.Len())
	return nil
}

func (e *Engine) reloadEntities(ctx context.Context) error {
	if e.cfg.Entities == nil {
		return nil
	}
	list, err := e.cfg.Entities.FindPolicyEntities(ctx)
	if err != nil {
		return fmt.Errorf("load policy entities: %w", err)
	}
	m, err := StoredEntities(list)
	if err != nil {
		return fmt.Errorf("load policy entities: %w", err)
	}
	e.stored.Store(&m)
	return nil
}

// follow applies change notifications to the caches until ctx ends.
func (e *Engine) follow(ctx context.Context, changes <-chan warden.Change) {
	for ch := range changes {
		e.apply(ctx, ch)
	}
}

// apply invalidates what one change makes stale.
func (e *Engine) apply(ctx context.Context, ch warden.Change) {
	switch ch.Type {
	case "identity", "access_request":
		e.ids.invalidate(ch)
	case "credential", "finding":
		e.ids.invalidate(ch)
		e.tokens.flush()
	case "policy_set":
		e.report(e.reloadPolicies(ctx))
	case "policy_entity":
		e.report(e.reloadEntities(ctx))
	case "enforcement_setting":
		e.report(e.reloadModes(ctx))
	case "policy_version", "token":
		// Pushing a version changes nothing until it is activated; API
		// tokens are not policy principals.
	case "events":
		// Recorded activity (the decision log's own events among it) only
		// moves last-use times, which are no attribute; it may create
		// not-onboarded identities, which negative entries must not hide.
		e.ids.invalidate(ch)
	case "detection", "baseline", "dead_letter", "posture", "leak", "join_token", "registration_entry":
		// Monitoring and issuer records: their effects on identities
		// (quarantine, findings, credentials) arrive as changes of their own.
	default: // "*", revocations of issued credentials, anything else
		e.ids.invalidate(warden.Change{Type: "*"})
		e.tokens.flush()
		if ch.Type == "*" {
			e.report(e.Reload(ctx))
		}
	}
}

func (e *Engine) report(err error) {
	if err != nil {
		e.logger.Warn("policy engine reload failed", "error", err)
	}
}

// ActiveSet returns the policy set decisions use now.
func (e *Engine) ActiveSet() *Set { return e.set.Load() }

// StoredEntities returns the stored entities decisions use now.
func (e *Engine) StoredEntities() types.EntityMap { return *e.stored.Load() }

// Decide answers req. source names the interface ("http", "envoy",
// "nginx", "inproc") in the decision log. Bad requests are EINVALID naming
// the field; a token that fails verification is a deny, not an error.
func (e *Engine) Decide(ctx context.Context, req *Request, source string) (*Decision, error) {
	start := time.Now()
	p, err := parseRequest(req)
	if err != nil {
		return nil, err
	}
	set := e.set.Load()
	now := e.cfg.Now()
	d := &Decision{ID: uuid.Must(uuid.NewV7()).String(), PolicyVersion: set.Version}
	ctxRec := p.context
	var principalRef warden.EntityRef
	switch {
	case req.Token != "" && req.Principal != nil:
		return nil, warden.FieldErrorf("principal", "send either principal or token, not both")
	case req.Token != "":
		claims, revoked, err := e.verifyToken(ctx, req.Token)
		if err != nil {
			if warden.ErrorCode(err) == warden.EINTERNAL {
				return nil, err
			}
			d.Decision, d.Policies = "deny", []string{}
			d.Errors = []string{"token rejected: " + warden.ErrorMessage(err)}
			d.Principal = warden.EntityRef{Type: string(TypeIdentity)}
			e.record(d, source, start, cedar.Request{Action: p.action, Resource: p.resource, Context: ctxRec}, nil, p.entities)
			return d, nil
		}
		expired := !claims.ExpiresAt.IsZero() && !now.Before(claims.ExpiresAt)
		ctxRec = withToken(ctxRec, tokenRecord(claims, revoked, expired))
		principalRef = warden.EntityRef{Type: string(TypeIdentity), ID: claims.IdentityID}
		if principalRef.ID == "" {
			principalRef.ID = claims.Subject
		}
	case req.Principal != nil:
		principalRef = *req.Principal
	default:
		return nil, warden.FieldErrorf("principal", "principal or token is required")
	}
	principalUID, err := entityUID("principal", principalRef)
	if err != nil {
		return nil, err
	}
	getter := &layered{request: p.entities, stored: *e.stored.Load()}
	var cached *identityEntry
	if principalUID.Type == TypeIdentity {
		ent, err := e.identity(ctx, principalRef.ID, now)
		if err != nil {
			return nil, err
		}
		if !ent.missing {
			cached = ent
			getter.principal, getter.hasPrincipal = &ent.entity, true
			principalUID = ent.entity.UID
			d.IdentityID = ent.id
		}
	}
	if cached != nil && len(cached.grants) > 0 {
		if g := coveringGrant(cached.grants, p.action, p.resource, now); g != nil {
			ctxRec = withEntry(ctxRec, "grant", grantRecord(g))
		}
	}
	creq := cedar.Request{Principal: principalUID, Action: p.action, Resource: p.resource, Context: ctxRec}
	decision, diag := set.Decide(creq, getter)
	d.Decision = "deny"
	if decision == cedar.Allow {
		d.Decision = "allow"
	}
	d.Policies, d.Errors = diagnosticStrings(diag)
	if d.Decision == "deny" && !byGuardrail(d.Policies) && e.monitoring(cached) {
		// Monitor mode: answer allow, log what the policy set would
		// have done and which policies would have done it.
		d.Decision, d.WouldDeny = "allow", true
	}
	d.Principal = refOf(principalUID)
	e.record(d, source, start, creq, cached, p.entities)
	return d, nil
}

// Decide evaluates req against the policies of the set whose scopes can
// match it, which gives the same decision and diagnostics as evaluating
// every policy.
func (s *Set) Decide(req cedar.Request, entities types.EntityGetter) (cedar.Decision, cedar.Diagnostic) {
	return cedar.Authorize(s.index.candidates(req, entities), entities, req)
}

// identity returns the cached entity of the identity named by ref.
func (e *Engine) identity(ctx context.Context, ref string, now time.Time) (*identityEntry, error) {
	if ent, ok := e.ids.get(ref, now); ok {
		return ent, nil
	}
	gen := e.ids.gen.Load()
	facts, related, err := e.resolve.load(ctx, ref, now)
	if err != nil {
		return nil, fmt.Errorf("enrich principal: %w", err)
	}
	ent := &identityEntry{expires: now.Add(ttlJitter(e.cfg.IdentityTTL))}
	refs := []string{ref}
	if facts == nil {
		ent.missing = true
	} else {
		ent.id = facts.Identity.ID
		ent.entity = IdentityEntity(*facts, now)
		ent.grants = facts.Grants
		ent.team, ent.env = facts.Identity.Team(), facts.Identity.Environment
		for _, g := range facts.Grants {
			// A grant's end must reach the decision on time, cache or not.
			if g.ExpiresAt != nil && g.ExpiresAt.Before(ent.expires) {
				ent.expires = *g.ExpiresAt
			}
		}
		refs = append(refs, facts.Identity.ID)
	}
	e.ids.put(gen, ent, refs, related)
	return ent, nil
}

// ttlJitter spreads a cache lifetime over [¾ ttl, ttl], so that the
// identities a busy server loaded in its first seconds do not all expire,
// and reload from the database in the request path, in the same second.
func ttlJitter(ttl time.Duration) time.Duration {
	return ttl - rand.N(ttl/4+1)
}

// record sends a decision to the log: every deny, and allows as sampled.
func (e *Engine) record(d *Decision, source string, start time.Time, creq cedar.Request, principal *identityEntry, reqEntities types.EntityMap) {
	if e.writer == nil {
		return
	}
	if d.Decision == "allow" && !d.WouldDeny && !byGrant(d.Policies) && (e.cfg.SampleAllows <= 0 || rand.Float64() >= e.cfg.SampleAllows) {
		return
	}
	e.writer.enqueue(&pendingDecision{
		record: &warden.DecisionRecord{
			ID: d.ID, Time: e.cfg.Now().UTC(), Source: source, Principal: d.Principal, IdentityID: d.IdentityID,
			Action: refOf(creq.Action), Resource: refOf(creq.Resource), Decision: d.Decision,
			Policies: d.Policies, Errors: d.Errors, PolicyVersion: d.PolicyVersion,
			LatencyMicros: time.Since(start).Microseconds(), WouldDeny: d.WouldDeny,
		},
		request:   creq,
		principal: principal,
		entities:  reqEntities,
	})
}

// GrantPolicyID is the built-in policy that permits what an active access
// grant covers (guardrails.cedar). Every decision it determines is logged,
// sampled or not: that log is what a grant was used for.
const GrantPolicyID = warden.GrantPolicyID

// GuardrailPrefix starts the id of every built-in guardrail policy.
const GuardrailPrefix = "guardrail."

// byGuardrail reports whether a built-in guardrail determined a deny:
// those enforce in every mode, since they stop principals already judged
// unsafe (quarantined, disabled, revoked).
func byGuardrail(policies []string) bool {
	for _, p := range policies {
		if strings.HasPrefix(p, GuardrailPrefix) {
			return true
		}
	}
	return false
}

// EnforcementSource gives the decision point the enforcement settings.
type EnforcementSource interface {
	FindEnforcementSettings(ctx context.Context) ([]*warden.EnforcementSetting, error)
}

func byGrant(policies []string) bool {
	for _, p := range policies {
		if p == GrantPolicyID {
			return true
		}
	}
	return false
}

// tokenCache remembers verified tokens (by SHA-256 of the raw token) and
// their revocation state until a change notification flushes it.
type tokenCache struct {
	mu  sync.RWMutex
	m   map[[32]byte]*tokenEntry
	gen atomic.Uint64
	max int
}

type tokenEntry struct {
	claims  *warden.TokenClaims
	err     error
	revoked bool
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{m: map[[32]byte]*tokenEntry{}, max: max}
}

func (c *tokenCache) flush() {
	c.mu.Lock()
	c.gen.Add(1)
	clear(c.m)
	c.mu.Unlock()
}

// verifyToken verifies raw and checks its revocation, through the cache.
func (e *Engine) verifyToken(ctx context.Context, raw string) (*warden.TokenClaims, bool, error) {
	if e.cfg.Verifier == nil {
		return nil, false, warden.Errorf(warden.EUNAUTHORIZED, "this server verifies no tokens")
	}
	key := sha256.Sum256([]byte(raw))
	c := e.tokens
	c.mu.RLock()
	ent, ok := c.m[key]
	c.mu.RUnlock()
	if ok {
		return ent.claims, ent.revoked, ent.err
	}
	gen := c.gen.Load()
	ent = &tokenEntry{}
	ent.claims, ent.err = e.cfg.Verifier.VerifyToken(ctx, raw, e.cfg.Audience)
	if ent.err == nil && e.cfg.Revocations != nil {
		revoked, err := e.cfg.Revocations.IsRevoked(ctx, ent.claims.ID)
		if err != nil {
			return nil, false, fmt.Errorf("check token revocation: %w", err)
		}
		ent.revoked = revoked
	}
	if warden.ErrorCode(ent.err) == warden.EINTERNAL {
		return nil, false, ent.err // do not cache faults
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		if len(c.m) >= c.max {
			clear(c.m)
		}
		c.m[key] = ent
	}
	c.mu.Unlock()
	return ent.claims, ent.revoked, ent.err
}

func sortStrings(s []string) { sort.Strings(s) }
