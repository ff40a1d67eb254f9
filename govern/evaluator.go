package govern

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/warden-nhi/warden"
)

// FindingStore is what the evaluator needs of the finding store.
type FindingStore interface {
	warden.FindingService
	warden.FindingSyncer
}

// EvaluatorConfig wires an Evaluator. Identities, Credentials, Findings and
// Posture are required; without Grants or Events the rules see no grants or
// no activity.
type EvaluatorConfig struct {
	Identities  warden.IdentityService
	Credentials warden.CredentialService
	Grants      warden.GrantService
	Events      warden.EventService
	Findings    FindingStore
	Posture     warden.PostureService
	// Programme adds the programme metrics (the last 12 months) to the
	// report; nil leaves them out.
	Programme warden.ProgrammeService
	// Rules is the rule configuration; nil means DefaultConfig.
	Rules *Config
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// BatchSize is how many identities are evaluated per transaction; 0
	// means 200.
	BatchSize int
}

// Evaluator runs the governance rules over the inventory. It implements
// warden.GovernanceService. Evaluations never overlap: a second call waits
// for the first.
type Evaluator struct {
	cfg    EvaluatorConfig
	rules  *Config
	engine *Engine
	mu     sync.Mutex
}

var _ warden.GovernanceService = (*Evaluator)(nil)

// NewEvaluator returns an evaluator for cfg with defaults filled in.
func NewEvaluator(cfg EvaluatorConfig) (*Evaluator, error) {
	if cfg.Identities == nil || cfg.Credentials == nil || cfg.Findings == nil || cfg.Posture == nil {
		return nil, errors.New("govern: Identities, Credentials, Findings and Posture are required")
	}
	if cfg.Rules == nil {
		cfg.Rules = DefaultConfig()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 200
	}
	cfg.BatchSize = min(cfg.BatchSize, warden.MaxPageSize)
	return &Evaluator{cfg: cfg, rules: cfg.Rules, engine: NewEngine(cfg.Rules)}, nil
}

// Rules returns the rule catalog.
func (ev *Evaluator) Rules() []warden.GovernanceRule { return ev.rules.Catalog() }

// Evaluate runs the rules over every identity, batch by batch: it builds
// each identity's snapshot, stores the findings (opening, refreshing and
// resolving them), sets risk scores, and finally records the posture.
func (ev *Evaluator) Evaluate(ctx context.Context) (*warden.EvaluationResult, error) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ctx = warden.NewContextWithActor(ctx, actorFor(ctx))
	res := &warden.EvaluationResult{StartedAt: ev.now()}
	post := newPostureCounter(ev.rules.HighRiskThreshold)
	ruleIDs := ev.engine.RuleIDs()
	filter := warden.IdentityFilter{Limit: ev.cfg.BatchSize, Sort: "created_at"}
	for {
		page, next, err := ev.cfg.Identities.FindIdentities(ctx, filter)
		if err != nil {
			return nil, fmt.Errorf("evaluate: list identities: %w", err)
		}
		if err := ev.evaluateBatch(ctx, page, ruleIDs, res, post); err != nil {
			return nil, err
		}
		if next == "" {
			break
		}
		filter.Cursor = next
	}
	suppressed, err := ev.countSuppressed(ctx)
	if err != nil {
		return nil, err
	}
	snap := post.snapshot()
	snap.Suppressed = suppressed
	snap.Time = ev.now()
	if err := ev.cfg.Posture.RecordPosture(ctx, snap); err != nil {
		return nil, fmt.Errorf("evaluate: record posture: %w", err)
	}
	res.Posture = snap
	res.FinishedAt = ev.now()
	return res, nil
}

// actorFor keeps the caller's actor, or names the evaluator.
func actorFor(ctx context.Context) warden.Actor {
	a := warden.ActorFromContext(ctx)
	if a.Type == "system" && a.ID == "warden" {
		return warden.Actor{Type: "system", ID: "govern"}
	}
	return a
}

func (ev *Evaluator) now() time.Time { return ev.cfg.Now().UTC() }

func (ev *Evaluator) evaluateBatch(ctx context.Context, page []*warden.Identity, ruleIDs []string, res *warden.EvaluationResult, post *postureCounter) error {
	if len(page) == 0 {
		return nil
	}
	ids := make([]string, len(page))
	snaps := make([]*Snapshot, len(page))
	var found []*warden.Finding
	for n, identity := range page {
		s, err := ev.snapshot(ctx, identity)
		if err != nil {
			return err
		}
		ids[n], snaps[n] = identity.ID, s
		found = append(found, ev.engine.Evaluate(s)...)
	}
	sync, open, err := ev.cfg.Findings.SyncFindings(ctx, ruleIDs, ids, found)
	if err != nil {
		return fmt.Errorf("evaluate: store findings: %w", err)
	}
	res.Findings.Opened += sync.Opened
	res.Findings.Reopened += sync.Reopened
	res.Findings.Refreshed += sync.Refreshed
	res.Findings.Resolved += sync.Resolved
	res.Findings.Expired += sync.Expired
	scores := make(map[string]int, len(page))
	for _, s := range snaps {
		score := RiskScore(s.Identity, open[s.Identity.ID], ev.engine.ExposureOf(s))
		scores[s.Identity.ID] = score
		post.add(s.Identity, open[s.Identity.ID], score)
	}
	changed, err := ev.cfg.Findings.SetRiskScores(ctx, scores)
	if err != nil {
		return fmt.Errorf("evaluate: store risk scores: %w", err)
	}
	res.RiskChanged += changed
	res.Identities += len(page)
	return nil
}

// snapshot gathers what the rules need about one identity.
func (ev *Evaluator) snapshot(ctx context.Context, identity *warden.Identity) (*Snapshot, error) {
	now := ev.now()
	s := &Snapshot{Now: now, Identity: identity}
	if identity.Status == warden.StatusDeprovisioned {
		return s, nil
	}
	cf := warden.CredentialFilter{IdentityID: identity.ID, Limit: warden.MaxPageSize}
	for {
		page, next, err := ev.cfg.Credentials.FindCredentials(ctx, cf)
		if err != nil {
			return nil, fmt.Errorf("evaluate %s: credentials: %w", identity.ID, err)
		}
		s.Credentials = append(s.Credentials, page...)
		if next == "" {
			break
		}
		cf.Cursor = next
	}
	if ev.cfg.Grants != nil {
		grants, err := ev.cfg.Grants.FindGrants(ctx, identity.ID)
		if err != nil {
			return nil, fmt.Errorf("evaluate %s: grants: %w", identity.ID, err)
		}
		s.Grants = grants
	}
	if ev.cfg.Events != nil {
		since := now.AddDate(0, 0, -ev.rules.ActivityWindowDays)
		classify := ev.engine.classify.Classify
		ef := warden.EventFilter{IdentityID: identity.ID, Since: &since, Limit: warden.MaxPageSize}
		for {
			page, next, err := ev.cfg.Events.FindEvents(ctx, ef)
			if err != nil {
				return nil, fmt.Errorf("evaluate %s: events: %w", identity.ID, err)
			}
			for _, e := range page {
				if !e.Time.Before(since) {
					s.Activity.Add(e, classify)
				}
			}
			if next == "" {
				break
			}
			ef.Cursor = next
		}
	}
	return s, nil
}

func (ev *Evaluator) countSuppressed(ctx context.Context) (int, error) {
	n := 0
	f := warden.FindingFilter{Status: warden.FindingSuppressed, Limit: warden.MaxPageSize}
	for {
		page, next, err := ev.cfg.Findings.FindFindings(ctx, f)
		if err != nil {
			return 0, fmt.Errorf("evaluate: count suppressed findings: %w", err)
		}
		n += len(page)
		if next == "" {
			return n, nil
		}
		f.Cursor = next
	}
}

// postureCounter accumulates a posture snapshot over batches.
type postureCounter struct {
	threshold int
	p         *warden.PostureSnapshot
}

func newPostureCounter(threshold int) *postureCounter {
	return &postureCounter{threshold: threshold, p: &warden.PostureSnapshot{
		BySeverity: map[string]int{}, ByRule: map[string]int{}, ByOWASP: map[string]int{},
	}}
}

func (c *postureCounter) add(i *warden.Identity, open []*warden.Finding, score int) {
	if i.Status == warden.StatusDeprovisioned {
		return
	}
	p := c.p
	p.Identities++
	if i.Owner == "" {
		p.Unowned++
	}
	if !i.Managed {
		p.NotOnboarded++
	}
	if score >= c.threshold {
		p.HighRisk++
	}
	var over, stale bool
	for _, f := range open {
		p.OpenFindings++
		p.BySeverity[string(f.Severity)]++
		p.ByRule[f.RuleID]++
		for _, id := range f.OWASP {
			p.ByOWASP[id]++
		}
		over = over || slices.Contains(f.OWASP, "NHI5")
		stale = stale || f.RuleID == "identity-stale"
	}
	if over {
		p.OverPrivileged++
	}
	if stale {
		p.Stale++
	}
}

func (c *postureCounter) snapshot() *warden.PostureSnapshot { return c.p }
