package monitor

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/warden-nhi/warden"
)

// Engine runs the detectors over a stream of events, keeping one Profile
// per actor (provider and principal). It is not safe for concurrent use;
// Pipeline serialises access.
type Engine struct {
	cfg    Config
	actors map[string]*actor
	dedupe *dedupe
	stats  Stats
}

// Stats counts what an engine did.
type Stats struct {
	Events     int64 `json:"events"`     // events processed by the detectors
	Duplicates int64 `json:"duplicates"` // dropped as already seen
	Late       int64 `json:"late"`       // processed after newer events of their actor
	Detections int64 `json:"detections"`
}

type actor struct {
	profile *Profile
	pending []*warden.Event // sorted by time, waiting for the lateness window
	newest  time.Time       // newest event time seen
	dirty   bool
}

// NewEngine returns an engine for cfg with defaults filled in.
func NewEngine(cfg Config) *Engine {
	cfg.fill()
	return &Engine{cfg: cfg, actors: map[string]*actor{}, dedupe: newDedupe(cfg.DedupeWindow)}
}

// Config returns the engine's configuration with defaults filled in.
func (en *Engine) Config() Config { return en.cfg }

// Stats returns the counters.
func (en *Engine) Stats() Stats { return en.stats }

// ActorKey names the actor of an event: its provider and external id.
func ActorKey(e *warden.Event) string { return string(e.Provider) + "|" + e.Principal }

// Profile returns the in-memory profile of an actor key, or nil.
func (en *Engine) Profile(key string) *Profile {
	if a := en.actors[key]; a != nil {
		return a.profile
	}
	return nil
}

// Preload loads the stored baselines of the events' actors not yet in
// memory, in one query.
func (en *Engine) Preload(ctx context.Context, events []*warden.Event) error {
	if en.cfg.Baselines == nil {
		return nil
	}
	var keys []string
	seen := map[string]bool{}
	for _, e := range events {
		k := ActorKey(e)
		if en.actors[k] == nil && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	stored, err := en.cfg.Baselines.FindBaselines(ctx, keys)
	if err != nil {
		return fmt.Errorf("load baselines: %w", err)
	}
	for k, b := range stored {
		p, err := profileFromBaseline(b)
		if err != nil {
			return err
		}
		en.actors[k] = &actor{profile: p, newest: p.LastSeen}
	}
	return nil
}

// Observe takes one event. It is dropped when its (source, raw id) was
// seen recently; otherwise it waits in its actor's queue until events
// newer by more than the lateness window arrive, and the detections of
// the events released are returned. Call Preload first to use stored
// baselines.
func (en *Engine) Observe(e *warden.Event) []*warden.Detection {
	if !en.dedupe.add(e.Source + "\x00" + e.RawID) {
		en.stats.Duplicates++
		return nil
	}
	key := ActorKey(e)
	a := en.actors[key]
	if a == nil {
		a = &actor{profile: newProfile(key, e)}
		en.actors[key] = a
	}
	if en.cfg.Lateness < 0 {
		return en.process(a, e)
	}
	cp := *e // the caller may reuse e
	e = &cp
	i := sort.Search(len(a.pending), func(i int) bool { return a.pending[i].Time.After(e.Time) })
	a.pending = append(a.pending, nil)
	copy(a.pending[i+1:], a.pending[i:])
	a.pending[i] = e
	if e.Time.After(a.newest) {
		a.newest = e.Time
	}
	return en.release(a, a.newest.Add(-en.cfg.Lateness))
}

// release processes the actor's pending events up to and including until.
func (en *Engine) release(a *actor, until time.Time) []*warden.Detection {
	var out []*warden.Detection
	n := 0
	for n < len(a.pending) && !a.pending[n].Time.After(until) {
		out = append(out, en.process(a, a.pending[n])...)
		a.pending[n] = nil
		n++
	}
	if n > 0 {
		a.pending = append(a.pending[:0], a.pending[n:]...)
	}
	return out
}

// Flush processes every pending event and returns their detections, in
// actor-key order so that output is deterministic.
func (en *Engine) Flush() []*warden.Detection {
	keys := make([]string, 0, len(en.actors))
	for k, a := range en.actors {
		if len(a.pending) > 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []*warden.Detection
	for _, k := range keys {
		a := en.actors[k]
		out = append(out, en.release(a, a.pending[len(a.pending)-1].Time)...)
	}
	return out
}

// Tick releases events that have waited longer than the lateness window
// of wall-clock time past their actor's newest event, so that a quiet
// actor's last events are not held back for ever.
func (en *Engine) Tick(now time.Time) []*warden.Detection {
	var out []*warden.Detection
	for _, a := range en.actors {
		if len(a.pending) > 0 && now.Sub(a.newest) > en.cfg.Lateness {
			out = append(out, en.release(a, a.newest)...)
		}
	}
	return out
}

// process runs the detectors on e against the actor's profile, then
// learns e.
func (en *Engine) process(a *actor, e *warden.Event) []*warden.Detection {
	p := a.profile
	if e.Time.Before(p.LastSeen) {
		en.stats.Late++
	}
	en.stats.Events++
	a.dirty = true
	f := featuresOf(e)
	c := check{cfg: &en.cfg, p: p, e: e, f: &f, learned: p.Learned(&en.cfg)}
	var out []*warden.Detection
	for _, d := range Detectors {
		if d.Baselined && !c.learned {
			continue
		}
		if h := d.check(&c); h != nil {
			out = append(out, en.detection(d, h, e))
		}
	}
	p.learn(e, &f)
	en.stats.Detections += int64(len(out))
	return out
}

func (en *Engine) detection(d *Detector, h *hit, e *warden.Event) *warden.Detection {
	evidence := h.evidence
	if len(evidence) == 0 || evidence[len(evidence)-1].RawID != e.RawID {
		cp := *e
		evidence = append(evidence, &cp)
	}
	ids := make([]string, 0, len(h.extraIDs)+len(evidence))
	for _, id := range h.extraIDs {
		if id != "" {
			ids = append(ids, id)
		}
	}
	for _, ev := range evidence {
		ids = append(ids, ev.RawID)
	}
	if len(ids) > warden.MaxDetectionEvidence {
		ids = ids[len(ids)-warden.MaxDetectionEvidence:]
	}
	det := &warden.Detection{
		Detector: d.ID, Severity: d.Severity, Time: e.Time, IdentityID: e.IdentityID, Provider: e.Provider, Identity: e.Principal,
		Technique: d.Technique, TechniqueName: d.TechniqueName, OWASP: d.OWASP, Explanation: h.explanation,
		EventIDs: ids, Evidence: evidence, Responses: []string{},
	}
	if h.severity != "" {
		det.Severity = h.severity
	}
	if h.technique != "" {
		det.Technique = h.technique
	}
	if det.IdentityID == "" {
		det.IdentityID = en.actors[ActorKey(e)].profile.IdentityID
	}
	return det
}

// Save persists the profiles changed since the last save.
func (en *Engine) Save(ctx context.Context) error {
	if en.cfg.Baselines == nil {
		return nil
	}
	var batch []*warden.Baseline
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := en.cfg.Baselines.SaveBaselines(ctx, batch)
		batch = batch[:0]
		return err
	}
	for _, a := range en.actors {
		if !a.dirty {
			continue
		}
		b, err := a.profile.Baseline()
		if err != nil {
			return err
		}
		batch = append(batch, b)
		a.dirty = false
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return fmt.Errorf("save baselines: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("save baselines: %w", err)
	}
	return nil
}
