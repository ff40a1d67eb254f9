package policy

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// identityCache holds enriched identity entities in memory so that a
// decision needs no database round trip. Entries are dropped when a change
// notification names their identity (or one of its credentials or
// findings) and expire after ttl so that credential ages stay current.
//
// A load races with invalidation: a load that read the database before a
// change committed must not store its stale result after the change's
// notification dropped the entry. Every invalidation bumps gen, and a load
// stores its result only if gen did not move while it ran.
type identityCache struct {
	mu      sync.RWMutex
	byRef   map[string]*identityEntry // id or external id -> entry
	related map[string]string         // "credential:<id>", "finding:<id>" -> identity id
	gen     atomic.Uint64
	// negatives counts negative entries stored since the last sweep (an
	// over-count is harmless): while it is zero, an activity change has
	// nothing to drop and takes no lock.
	negatives atomic.Int64
	ttl       time.Duration
	max       int
}

type identityEntry struct {
	id      string
	entity  types.Entity
	expires time.Time
	missing bool // negative entry: no such identity
	// grants are the identity's access grants active when it was loaded;
	// the entry expires no later than the first of them ends.
	grants []*warden.AccessRequest
	// team and env place the identity for enforcement settings.
	team, env string
	// encoded is the entity's JSON, made once by the decision-log writer
	// for every logged decision of this principal while the entry lives.
	encoded atomic.Pointer[[]byte]
}

// entityJSON returns the entity's JSON encoding, computed on first use.
func (e *identityEntry) entityJSON() ([]byte, error) {
	if b := e.encoded.Load(); b != nil {
		return *b, nil
	}
	b, err := json.Marshal(e.entity)
	if err != nil {
		return nil, err
	}
	e.encoded.Store(&b)
	return b, nil
}

func newIdentityCache(ttl time.Duration, max int) *identityCache {
	return &identityCache{byRef: map[string]*identityEntry{}, related: map[string]string{}, ttl: ttl, max: max}
}

func (c *identityCache) get(ref string, now time.Time) (*identityEntry, bool) {
	c.mu.RLock()
	e, ok := c.byRef[ref]
	c.mu.RUnlock()
	if !ok || now.After(e.expires) {
		return nil, false
	}
	return e, true
}

// put stores e under refs unless an invalidation happened since gen.
func (c *identityCache) put(gen uint64, e *identityEntry, refs []string, related []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.missing {
		// Counted before the generation check, so that an activity change
		// that moves the generation after this check sees the count.
		c.negatives.Add(1)
	}
	if c.gen.Load() != gen {
		return
	}
	if len(c.byRef) >= c.max {
		clear(c.byRef)
		clear(c.related)
	}
	for _, r := range refs {
		c.byRef[r] = e
	}
	for _, r := range related {
		c.related[r] = e.id
	}
}

// invalidate drops what a change makes stale.
func (c *identityCache) invalidate(ch warden.Change) {
	if ch.Type == "events" {
		// Recorded activity (every decision-log batch among it) can only
		// make negative entries stale. The generation moves first, so a
		// negative entry loaded before this change is not stored after it;
		// with no negative entry cached there is nothing to drop, and the
		// readers of the cache are not held up by its lock.
		c.gen.Add(1)
		if c.negatives.Load() == 0 {
			return
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	switch {
	case ch.Type == "identity" && ch.ID != "":
		c.dropIdentity(ch.ID)
		c.dropMissing()
	case ch.Type == "events":
		c.dropMissing()
	case (ch.Type == "credential" || ch.Type == "finding" || ch.Type == "access_request") && ch.ID != "":
		if id, ok := c.related[ch.Type+":"+ch.ID]; ok {
			c.dropIdentity(id)
		} else {
			// A new credential, finding or grant of an identity we
			// cannot name.
			clear(c.byRef)
			clear(c.related)
		}
	default:
		clear(c.byRef)
		clear(c.related)
	}
}

func (c *identityCache) dropIdentity(id string) {
	for ref, e := range c.byRef {
		if e.id == id {
			delete(c.byRef, ref)
		}
	}
}

func (c *identityCache) dropMissing() {
	c.negatives.Store(0)
	for ref, e := range c.byRef {
		if e.missing {
			delete(c.byRef, ref)
		}
	}
}

// resolver loads identity facts from warden's services.
type resolver struct {
	identities  warden.IdentityService
	credentials warden.CredentialService
	findings    FindingSource
	grants      GrantSource
}

// GrantSource tells enrichment the access grants of an identity active at
// a time (the access store).
type GrantSource interface {
	FindActiveGrants(ctx context.Context, identityID string, t time.Time) ([]*warden.AccessRequest, error)
}

// FindingSource tells enrichment the open governance findings of an
// identity: the distinct rule ids and the ids of the findings (so that a
// change to one of them invalidates the identity's cached entity). It is
// the narrow view the decision point needs of the governance service.
type FindingSource interface {
	OpenFindings(ctx context.Context, identityID string) (rules []string, findingIDs []string, err error)
}

// load reads the identity named by ref (id or external id) with its active
// credentials and open findings. A missing identity is (nil, nil).
func (r *resolver) load(ctx context.Context, ref string, now time.Time) (*IdentityFacts, []string, error) {
	i, err := r.identities.FindIdentityByRef(ctx, ref, "")
	if warden.ErrorCode(err) == warden.ENOTFOUND {
		return nil, nil, nil
	} else if err != nil {
		return nil, nil, err
	}
	f := &IdentityFacts{Identity: i}
	var related []string
	if r.credentials != nil {
		cursor := ""
		for {
			page, next, err := r.credentials.FindCredentials(ctx, warden.CredentialFilter{IdentityID: i.ID, Status: warden.CredentialActive, Cursor: cursor, Limit: warden.MaxPageSize})
			if err != nil {
				return nil, nil, err
			}
			f.Credentials = append(f.Credentials, page...)
			for _, c := range page {
				related = append(related, "credential:"+c.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	if r.findings != nil {
		rules, ids, err := r.findings.OpenFindings(ctx, i.ID)
		if err != nil {
			return nil, nil, err
		}
		f.OpenFindings = rules
		for _, id := range ids {
			related = append(related, "finding:"+id)
		}
	}
	if r.grants != nil {
		grants, err := r.grants.FindActiveGrants(ctx, i.ID, now)
		if err != nil {
			return nil, nil, err
		}
		f.Grants = grants
		for _, g := range grants {
			related = append(related, "access_request:"+g.ID)
		}
	}
	return f, related, nil
}
