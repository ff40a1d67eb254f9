package rightsize

import (
	"time"

	"github.com/warden-nhi/warden"
)

// Event sources whose actions are permissions, as warden's importers and
// the live ingestion write Event.Source.
const (
	sourceCloudTrail = "cloudtrail"
	sourceK8sAudit   = "k8s-audit"
)

// maxTracked bounds the distinct resources remembered per permission; use
// beyond it still counts, and makes the proposed IAM statement name "*"
// only when the policy's own resources overflow.
const maxTracked = 256

// maxCalls bounds the distinct API calls remembered per permission.
const maxCalls = 16

// Usage folds one identity's events into what they show it used and was
// refused. It keeps one record per distinct permission, so memory grows
// with the permissions used, not with the number of events. The zero
// value is not ready; use NewUsage.
type Usage struct {
	counts warden.RightsizeCounts
	used   map[key]*use
	denied map[key]*denial
}

// key names one permission in one place.
type key struct {
	provider warden.Provider
	perm     string // IAM action, or Kubernetes "<verb> <resource>"
	ns       string // Kubernetes namespace; "" cluster-wide or AWS
}

// use is the evidence for one permission.
type use struct {
	key
	k8s         k8sPerm
	count       int
	first, last time.Time
	calls       map[string]bool
	// raw are the resources as the events name them (ARNs, object
	// paths), with their counts, for comparing with grants; unknown
	// counts events that named none, overflow those past maxTracked.
	raw      map[string]int
	unknown  int
	overflow int
	// policy are the resources a proposed IAM statement names; wide is
	// set when it must name "*".
	policy map[string]bool
	wide   bool
}

// denial is the evidence of one refused permission.
type denial struct {
	key
	count       int
	first, last time.Time
	codes       map[string]bool
}

// NewUsage returns an empty Usage.
func NewUsage() *Usage {
	return &Usage{used: map[key]*use{}, denied: map[key]*denial{}}
}

// Counts returns how the events added so far were used.
func (u *Usage) Counts() warden.RightsizeCounts { return u.counts }

// Add folds one event in. Allowed events are evidence of the permissions
// they needed; denied ones are recorded apart as refused attempts; events
// that failed for another reason prove nothing and are only counted.
func (u *Usage) Add(e *warden.Event) {
	u.counts.Events++
	switch e.Source {
	case sourceCloudTrail:
		u.addCloudTrail(e)
	case sourceK8sAudit:
		u.addK8s(e)
	default:
		u.counts.Unmapped++
	}
}

func (u *Usage) addCloudTrail(e *warden.Event) {
	actions := IAMActions(e.Action)
	switch e.Outcome {
	case warden.OutcomeAllow:
		if len(actions) == 0 {
			u.counts.NoPermission++
			return
		}
		u.counts.Used++
		for _, a := range actions {
			x := u.useOf(key{provider: warden.ProviderAWS, perm: a})
			x.note(e)
			x.call(e.Action, a)
			x.resource(e.Resource)
			res := policyResources(a, e)
			if res == nil {
				x.wide = true
			}
			for _, p := range res {
				if !x.policy[p] {
					if len(x.policy) >= maxTracked {
						x.wide = true
					} else {
						x.policy[p] = true
					}
				}
			}
		}
	case warden.OutcomeDeny:
		u.counts.Denied++
		if len(actions) == 0 {
			actions = []string{e.Action}
		}
		for _, a := range actions {
			u.deny(key{provider: warden.ProviderAWS, perm: a}, e)
		}
	default:
		u.counts.Failed++
	}
}

func (u *Usage) addK8s(e *warden.Event) {
	p, ok := parseK8sAction(e.Action)
	if !ok {
		u.counts.Unmapped++
		return
	}
	ns := ""
	if p.URL == "" {
		ns, _ = k8sObject(e.Resource)
	}
	k := key{provider: warden.ProviderKubernetes, perm: p.Verb + " " + k8sTarget(p), ns: ns}
	switch e.Outcome {
	case warden.OutcomeAllow:
		u.counts.Used++
		x := u.useOf(k)
		x.k8s = p
		x.note(e)
		x.resource(e.Resource)
	case warden.OutcomeDeny:
		u.counts.Denied++
		u.deny(k, e)
	default:
		u.counts.Failed++
	}
}

// k8sTarget writes the resource of p as the audit importer does:
// "deployments.apps/scale", "pods/log", or the URL.
func k8sTarget(p k8sPerm) string {
	if p.URL != "" {
		return p.URL
	}
	t := p.Resource
	if p.Group != "" {
		t += "." + p.Group
	}
	if p.Sub != "" {
		t += "/" + p.Sub
	}
	return t
}

func (u *Usage) useOf(k key) *use {
	x, ok := u.used[k]
	if !ok {
		x = &use{key: k, calls: map[string]bool{}, raw: map[string]int{}, policy: map[string]bool{}}
		u.used[k] = x
	}
	return x
}

func (u *Usage) deny(k key, e *warden.Event) {
	d, ok := u.denied[k]
	if !ok {
		d = &denial{key: k, first: e.Time, last: e.Time, codes: map[string]bool{}}
		u.denied[k] = d
	}
	d.count++
	if e.Time.Before(d.first) {
		d.first = e.Time
	}
	if e.Time.After(d.last) {
		d.last = e.Time
	}
	if e.ErrorCode != "" && len(d.codes) < maxCalls {
		d.codes[e.ErrorCode] = true
	}
}

func (x *use) note(e *warden.Event) {
	if x.count == 0 || e.Time.Before(x.first) {
		x.first = e.Time
	}
	if x.count == 0 || e.Time.After(x.last) {
		x.last = e.Time
	}
	x.count++
}

// call remembers the API call when it is named differently from the
// permission it needs.
func (x *use) call(call, perm string) {
	if call != perm && len(x.calls) < maxCalls {
		x.calls[call] = true
	}
}

func (x *use) resource(r string) {
	switch {
	case r == "":
		x.unknown++
	case x.raw[r] > 0 || len(x.raw) < maxTracked:
		x.raw[r]++
	default:
		x.overflow++
	}
}
