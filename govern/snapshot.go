package govern

import (
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/rightsize"
)

// Snapshot is everything the rules know about one identity at one moment.
// Rules are pure functions of a Snapshot and the Config.
type Snapshot struct {
	Now         time.Time
	Identity    *warden.Identity
	Credentials []*warden.Credential
	Grants      []*warden.Grant
	Activity    Activity
}

// Activity summarises an identity's events within the activity window.
type Activity struct {
	Events      int        `json:"events"`
	LastUse     *time.Time `json:"last_use"`
	Interactive int        `json:"interactive"` // interactive (human) events
	// InteractiveActions are the distinct actions of interactive events
	// (at most maxSample).
	InteractiveActions []string `json:"interactive_actions"`
	// Sources are the distinct source networks (IPv4 /24, IPv6 /48, or the
	// service name when the caller was a cloud service).
	Sources []string `json:"sources"`
	// Workloads are the distinct workload sessions (role-session or pod
	// names with digit runs folded, so per-invocation suffixes do not count
	// as new workloads).
	Workloads []string `json:"workloads"`
	// Environments are the distinct environments of the resources acted on
	// (see Classifier).
	Environments []string `json:"environments"`
	// Usage is what the events show the identity used and was refused,
	// per permission, for comparing with its grants (nil before the first
	// event).
	Usage *rightsize.Usage `json:"-"`
}

// maxSample bounds the distinct values an Activity keeps per list; counts
// above it are still detected because rules compare with thresholds far
// below.
const maxSample = 64

// Summarize folds events (of one identity) into an Activity; events before
// since are ignored. classify maps a resource to its environment.
func Summarize(events []*warden.Event, since time.Time, classify func(string) string) Activity {
	var a Activity
	for _, e := range events {
		if e.Time.Before(since) {
			continue
		}
		a.Add(e, classify)
	}
	return a
}

// Add folds one event into the summary.
func (a *Activity) Add(e *warden.Event, classify func(string) string) {
	a.Events++
	if a.LastUse == nil || e.Time.After(*a.LastUse) {
		t := e.Time
		a.LastUse = &t
	}
	if e.Interactive {
		a.Interactive++
		a.InteractiveActions = addDistinct(a.InteractiveActions, e.Action)
	}
	if src := sourceNetwork(e.SourceIP); src != "" {
		a.Sources = addDistinct(a.Sources, src)
	}
	if w := workloadKey(e.Session); w != "" {
		a.Workloads = addDistinct(a.Workloads, w)
	}
	if classify != nil {
		if env := classify(e.Resource); env != "" {
			a.Environments = addDistinct(a.Environments, env)
		}
	}
	if a.Usage == nil {
		a.Usage = rightsize.NewUsage()
	}
	a.Usage.Add(e)
}

func addDistinct(list []string, v string) []string {
	if v == "" || len(list) >= maxSample || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// sourceNetwork buckets a source address: IPv4 by /24, IPv6 by /48; a
// non-address (an AWS service such as "ec2.amazonaws.com") is kept as is.
func sourceNetwork(ip string) string {
	if ip == "" {
		return ""
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return strings.ToLower(ip)
	}
	addr = addr.Unmap()
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return ip
	}
	return p.String()
}

// workloadKey folds runs of digits and hex-looking suffixes so that
// "botocore-session-1712345678" and "i-0abc12" style per-run names of one
// workload collapse into one key.
func workloadKey(session string) string {
	if session == "" {
		return ""
	}
	var b strings.Builder
	digits := false
	for _, r := range strings.ToLower(session) {
		if r >= '0' && r <= '9' {
			if !digits {
				b.WriteByte('#')
			}
			digits = true
			continue
		}
		digits = false
		b.WriteRune(r)
	}
	return b.String()
}

// Classifier maps names to environments using the configured accounts and
// words.
type Classifier struct {
	accounts map[string]string
	prod     map[string]bool
	nonprod  map[string]bool
}

// NewClassifier builds a classifier from the configuration.
func NewClassifier(env Environments) *Classifier {
	c := &Classifier{accounts: env.Accounts, prod: map[string]bool{}, nonprod: map[string]bool{}}
	for _, w := range env.ProdWords {
		c.prod[strings.ToLower(w)] = true
	}
	for _, w := range env.NonProdWords {
		c.nonprod[strings.ToLower(w)] = true
	}
	return c
}

// Classify returns "prod", "nonprod" or "" for a name such as an ARN, a
// namespace path or an account id: a configured account id decides first,
// then the words of the name ("northwind-prod-orders" is prod,
// "/namespaces/staging/secrets/x" is nonprod).
func (c *Classifier) Classify(name string) string {
	if name == "" {
		return ""
	}
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	for _, w := range words {
		if env, ok := c.accounts[w]; ok {
			return c.class(env)
		}
	}
	found := ""
	for _, w := range words {
		switch {
		case c.prod[w]:
			return "prod"
		case c.nonprod[w]:
			found = "nonprod"
		}
	}
	return found
}

// class reduces an environment name to "prod" or "nonprod".
func (c *Classifier) class(env string) string {
	env = strings.ToLower(env)
	if c.prod[env] {
		return "prod"
	}
	if env == "" {
		return ""
	}
	return "nonprod"
}
