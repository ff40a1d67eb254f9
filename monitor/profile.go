package monitor

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/warden-nhi/warden"
)

// Bounds on what one profile remembers, so that memory is flat in the
// number of events however long an identity lives.
const (
	maxSetValues     = 256
	maxResources     = 512
	maxSessions      = 256
	maxWindowEvents  = 64
	maxSessionValues = 16
)

// Profile is the behavioural baseline of one actor: what it has done and
// from where, learned incrementally from its events. It is stored as the
// State of a warden.Baseline.
type Profile struct {
	Key        string          `json:"key"`
	Provider   warden.Provider `json:"provider"`
	Principal  string          `json:"principal"`
	IdentityID string          `json:"identity_id,omitempty"`
	FirstSeen  time.Time       `json:"first_seen"`
	LastSeen   time.Time       `json:"last_seen"`
	Events     int64           `json:"events"`

	IPs       seenSet   `json:"ips"`
	Networks  seenSet   `json:"networks"`
	Agents    seenSet   `json:"agents"` // user-agent families
	Regions   seenSet   `json:"regions"`
	Actions   seenSet   `json:"actions"`
	Resources seenSet   `json:"resources"`
	Hours     [24]int64 `json:"hours"` // events per hour of day (UTC)
	Rate      rateState `json:"rate"`

	// Sessions are the workload sessions (EC2 instances, pods) of the
	// actor with the networks and agents each used.
	Sessions map[string]*sessionState `json:"sessions"`

	// SecretPeak and NamespacePeak are the most distinct secrets and
	// secret namespaces read within one window during learning.
	SecretPeak    int `json:"secret_peak"`
	NamespacePeak int `json:"namespace_peak"`

	// Fired remembers when a detector last fired for a subject, to keep
	// one incident from raising a flood of detections.
	Fired map[string]time.Time `json:"fired"`

	denials recent // recent denied events (not persisted)
	secrets recent // recent secret reads (not persisted)
}

// sessionState is what one workload session of an actor has used.
type sessionState struct {
	Networks seenSet `json:"networks"`
	Agents   seenSet `json:"agents"`
	LastSeen int64   `json:"last_seen"`
	LastRaw  string  `json:"last_raw"` // raw id of its latest event, evidence for off-workload use
	LastIP   string  `json:"last_ip"`
	LastUA   string  `json:"last_ua"`
}

// rateState tracks events per hour: the open hour's count and running
// statistics (Welford) over the closed hours in which the actor was active.
type rateState struct {
	Hour  int64   `json:"hour"` // Unix hour of the open bucket
	Count int64   `json:"count"`
	N     int64   `json:"n"` // closed active hours
	Mean  float64 `json:"mean"`
	M2    float64 `json:"m2"`
	Fired bool    `json:"fired"` // a spike was raised for the open hour
}

// maxRateHours caps the statistics' memory so that the mean follows a
// changing workload (about a month of active hours).
const maxRateHours = 720

// observe counts an event at unix time t; late events (before the open
// hour) do not change the rate.
func (r *rateState) observe(t time.Time) {
	h := t.Unix() / 3600
	switch {
	case h < r.Hour:
		return
	case h > r.Hour:
		if r.Count > 0 {
			r.close(float64(r.Count))
		}
		r.Hour, r.Count, r.Fired = h, 0, false
	}
	r.Count++
}

func (r *rateState) close(x float64) {
	if r.N < maxRateHours {
		r.N++
	}
	d := x - r.Mean
	r.Mean += d / float64(r.N)
	r.M2 += d * (x - r.Mean)
	if r.N == maxRateHours {
		r.M2 = r.M2 * float64(maxRateHours-1) / float64(maxRateHours)
	}
}

// std is the standard deviation of the closed hours.
func (r *rateState) std() float64 {
	if r.N < 2 {
		return 0
	}
	return math.Sqrt(r.M2 / float64(r.N-1))
}

func newProfile(key string, e *warden.Event) *Profile {
	return &Profile{
		Key: key, Provider: e.Provider, Principal: e.Principal, IdentityID: e.IdentityID,
		IPs: seenSet{}, Networks: seenSet{}, Agents: seenSet{}, Regions: seenSet{}, Actions: seenSet{}, Resources: seenSet{},
		Sessions: map[string]*sessionState{}, Fired: map[string]time.Time{},
	}
}

// fill makes the maps of a decoded profile usable.
func (p *Profile) fill() {
	for _, s := range []*seenSet{&p.IPs, &p.Networks, &p.Agents, &p.Regions, &p.Actions, &p.Resources} {
		if *s == nil {
			*s = seenSet{}
		}
	}
	if p.Sessions == nil {
		p.Sessions = map[string]*sessionState{}
	}
	for _, s := range p.Sessions {
		if s.Networks == nil {
			s.Networks = seenSet{}
		}
		if s.Agents == nil {
			s.Agents = seenSet{}
		}
	}
	if p.Fired == nil {
		p.Fired = map[string]time.Time{}
	}
}

// Learned reports whether the profile has seen enough of the actor, for at
// least the learning period, for deviations from it to mean something.
func (p *Profile) Learned(cfg *Config) bool {
	return p.Events >= int64(cfg.MinLearningEvents) && p.LastSeen.Sub(p.FirstSeen) >= cfg.LearningPeriod
}

// learn adds an event (already checked by the detectors) to the profile.
func (p *Profile) learn(e *warden.Event, f *features) {
	unix := e.Time.Unix()
	if p.Events == 0 || e.Time.Before(p.FirstSeen) {
		p.FirstSeen = e.Time
	}
	if e.Time.After(p.LastSeen) {
		p.LastSeen = e.Time
	}
	p.Events++
	if e.IdentityID != "" {
		p.IdentityID = e.IdentityID
	}
	if f.hasIP {
		p.IPs.add(f.ip, unix, maxSetValues)
		p.Networks.add(f.network, unix, maxSetValues)
	}
	if f.agent != "" {
		p.Agents.add(f.agent, unix, maxSetValues)
	}
	if e.Region != "" {
		p.Regions.add(e.Region, unix, maxSetValues)
	}
	if e.Outcome == warden.OutcomeAllow {
		p.Actions.add(e.Action, unix, maxSetValues)
		if e.Resource != "" {
			p.Resources.add(e.Resource, unix, maxResources)
		}
	}
	p.Hours[e.Time.Hour()]++
	p.Rate.observe(e.Time)
	if f.workload && f.hasIP {
		s := p.Sessions[e.Session]
		if s == nil {
			if len(p.Sessions) >= maxSessions {
				p.evictSession()
			}
			s = &sessionState{Networks: seenSet{}, Agents: seenSet{}}
			p.Sessions[e.Session] = s
		}
		s.Networks.add(f.network, unix, maxSessionValues)
		if f.agent != "" {
			s.Agents.add(f.agent, unix, maxSessionValues)
		}
		if unix >= s.LastSeen {
			s.LastSeen, s.LastRaw, s.LastIP, s.LastUA = unix, e.RawID, e.SourceIP, e.UserAgent
		}
	}
}

func (p *Profile) evictSession() {
	oldest, key := int64(math.MaxInt64), ""
	for k, s := range p.Sessions {
		if s.LastSeen < oldest {
			oldest, key = s.LastSeen, k
		}
	}
	delete(p.Sessions, key)
}

// fired reports whether subject fired within cooldown before t, and if not
// marks it fired at t.
func (p *Profile) fire(subject string, t time.Time, cooldown time.Duration) bool {
	if last, ok := p.Fired[subject]; ok && t.Sub(last) < cooldown && t.Sub(last) > -cooldown {
		return false
	}
	if len(p.Fired) >= maxSetValues {
		for k, v := range p.Fired {
			if t.Sub(v) > 24*time.Hour {
				delete(p.Fired, k)
			}
		}
	}
	p.Fired[subject] = t
	return true
}

// Baseline encodes the profile for storage.
func (p *Profile) Baseline() (*warden.Baseline, error) {
	state, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode baseline %s: %w", p.Key, err)
	}
	return &warden.Baseline{Key: p.Key, IdentityID: p.IdentityID, FirstSeen: p.FirstSeen, LastSeen: p.LastSeen, Events: p.Events, State: state}, nil
}

// profileFromBaseline decodes a stored baseline.
func profileFromBaseline(b *warden.Baseline) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(b.State, &p); err != nil {
		return nil, fmt.Errorf("decode baseline %s: %w", b.Key, err)
	}
	p.Key = b.Key
	p.fill()
	return &p, nil
}
