package monitor

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/warden-nhi/warden"
)

// Engine runs the detectors over a stream of events, keeping one Profile
// per actor (provider and principal). It is not safe for concurrent use;
// Pipeline serialises access.
type Engine struct {
	cfg     Config
	actors  map[string]*actor
	dedupe  *dedupe
	intern  *interner
	feats   *featureCache
	held    int             // events waiting in all actors' queues
	scratch map[string]bool // reused by detectors that count distinct values
	keyBuf  []byte          // reused to build actor keys
	stats   Stats
}

// Stats counts what an engine did.
type Stats struct {
	Events     int64 `json:"events"`     // events processed by the detectors
	Duplicates int64 `json:"duplicates"` // dropped as already seen
	Late       int64 `json:"late"`       // processed after newer events of their actor
	Detections int64 `json:"detections"`
	Held       int64 `json:"held"` // events now waiting for the lateness window
}

type actor struct {
	profile *Profile
	// pending holds the actor's events, by value and with interned
	// strings, sorted by time, waiting for the lateness window.
	pending []warden.Event
	newest  time.Time // newest event time seen
	dirty   bool
}

// NewEngine returns an engine for cfg with defaults filled in.
func NewEngine(cfg Config) *Engine {
	cfg.fill()
	return &Engine{cfg: cfg, actors: map[string]*actor{}, dedupe: newDedupe(cfg.DedupeWindow),
		intern: newInterner(internLimit), feats: newFeatureCache(), scratch: map[string]bool{}}
}

// Config returns the engine's configuration with defaults filled in.
func (en *Engine) Config() Config { return en.cfg }

// Stats returns the counters.
func (en *Engine) Stats() Stats {
	st := en.stats
	st.Held = int64(en.held)
	return st
}

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
// newer by more than the lateness window arrive, or until the engine holds
// more than MaxPending events, and the detections of the events released
// are returned. e is copied: the caller may reuse it. Call Preload first
// to use stored baselines.
func (en *Engine) Observe(e *warden.Event) []*warden.Detection {
	if !en.dedupe.add(e.Source, e.RawID) {
		en.stats.Duplicates++
		return nil
	}
	// The key is built in a reused buffer: looking a map up by
	// string(bytes) does not allocate, so only a new actor costs one.
	en.keyBuf = append(append(append(en.keyBuf[:0], e.Provider...), '|'), e.Principal...)
	a := en.actors[string(en.keyBuf)]
	if a == nil {
		key := string(en.keyBuf)
		a = &actor{profile: newProfile(key, e)}
		en.actors[key] = a
	}
	if en.cfg.Lateness < 0 {
		return en.process(a, e)
	}
	i := sort.Search(len(a.pending), func(i int) bool { return a.pending[i].Time.After(e.Time) })
	a.pending = slices.Insert(a.pending, i, *e)
	en.intern.event(&a.pending[i])
	en.held++
	if e.Time.After(a.newest) {
		a.newest = e.Time
	}
	out := en.release(a, a.newest.Add(-en.cfg.Lateness))
	if en.held > en.cfg.MaxPending {
		out = append(out, en.shed()...)
	}
	return out
}

// release processes the actor's pending events up to and including until.
func (en *Engine) release(a *actor, until time.Time) []*warden.Detection {
	var out []*warden.Detection
	n := 0
	for n < len(a.pending) && !a.pending[n].Time.After(until) {
		out = append(out, en.process(a, &a.pending[n])...)
		n++
	}
	if n > 0 {
		rest := copy(a.pending, a.pending[n:])
		clear(a.pending[rest:]) // drop the released events' strings
		a.pending = a.pending[:rest]
		en.held -= n
		if cap(a.pending) > 64 && len(a.pending) < cap(a.pending)/4 {
			a.pending = slices.Clip(slices.Clone(a.pending)) // give back a burst's buffer
		}
	}
	return out
}

// shed releases, across all actors, the older half of the events held,
// so that the reorder buffer is bounded by count as well as by time: a
// busy stream shortens the lateness window instead of growing memory.
// Actors are visited in key order so that output is deterministic.
func (en *Engine) shed() []*warden.Detection {
	times := make([]int64, 0, en.held)
	keys := make([]string, 0, len(en.actors))
	for k, a := range en.actors {
		if len(a.pending) == 0 {
			continue
		}
		keys = append(keys, k)
		for i := range a.pending {
			times = append(times, a.pending[i].Time.UnixNano())
		}
	}
	slices.Sort(times)
	cut := time.Unix(0, times[len(times)/2]).UTC()
	sort.Strings(keys)
	var out []*warden.Detection
	for _, k := range keys {
		out = append(out, en.release(en.actors[k], cut)...)
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
	f := en.feats.of(e)
	c := check{cfg: &en.cfg, p: p, e: e, f: &f, learned: p.Learned(&en.cfg), scratch: en.scratch}
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

// Save persists the profiles changed since the last save. A profile is
// marked saved only once the batch holding it is stored, so a failed save
// is retried in full by the next one.
func (en *Engine) Save(ctx context.Context) error {
	if en.cfg.Baselines == nil {
		return nil
	}
	var batch []*warden.Baseline
	var owners []*actor
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := en.cfg.Baselines.SaveBaselines(ctx, batch); err != nil {
			return fmt.Errorf("save baselines: %w", err)
		}
		for _, a := range owners {
			a.dirty = false
		}
		batch, owners = batch[:0], owners[:0]
		return nil
	}
	for _, a := range en.actors {
		if !a.dirty {
			continue
		}
		b, err := a.profile.Baseline()
		if err != nil {
			return err
		}
		batch, owners = append(batch, b), append(owners, a)
		if len(batch) == saveBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// saveBatch is how many baselines one SaveBaselines call stores.
const saveBatch = 500
