package govern

import (
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// checkOwnerMissing fires for an identity without an owner.
func checkOwnerMissing(s *Snapshot, _ *env) []Hit {
	if s.Identity.Owner != "" {
		return nil
	}
	return []Hit{{
		Detail:   fmt.Sprintf("%s %s has no owner.", s.Identity.Kind, s.Identity.ExternalID),
		Evidence: map[string]any{"owner": "", "managed": s.Identity.Managed},
	}}
}

// lastUse is the latest use known for the identity: its own last-used
// time, its credentials' and its activity's.
func lastUse(s *Snapshot) *time.Time {
	latest := s.Identity.LastUsedAt
	later := func(t *time.Time) {
		if t != nil && (latest == nil || t.After(*latest)) {
			latest = t
		}
	}
	for _, c := range s.Credentials {
		later(c.LastUsedAt)
	}
	later(s.Activity.LastUse)
	return latest
}

// since is when the identity was first known: first seen, else created.
func since(i *warden.Identity) time.Time {
	if i.FirstSeenAt != nil {
		return *i.FirstSeenAt
	}
	return i.CreatedAt
}

// checkIdentityStale fires when the identity's last use (or, never used,
// its first sighting) is older than stale_days. Disabled identities are
// already offboarded and are left alone.
func checkIdentityStale(s *Snapshot, e *env) []Hit {
	if s.Identity.Status == warden.StatusDisabled {
		return nil
	}
	limit := e.days("stale_days")
	last := lastUse(s)
	if last != nil {
		idle := s.Now.Sub(*last)
		if idle <= limit {
			return nil
		}
		return []Hit{{
			Detail:   fmt.Sprintf("Last used %d days ago (%s); the limit is %d days.", daysOf(idle), last.Format(time.DateOnly), int(e.param("stale_days"))),
			Evidence: map[string]any{"last_used_at": last, "idle_days": daysOf(idle), "stale_days": e.param("stale_days")},
		}}
	}
	first := since(s.Identity)
	if age := s.Now.Sub(first); age > limit {
		return []Hit{{
			Detail:   fmt.Sprintf("Never used in the %d days since it was first seen (%s).", daysOf(age), first.Format(time.DateOnly)),
			Evidence: map[string]any{"last_used_at": nil, "first_seen_at": first, "age_days": daysOf(age), "stale_days": e.param("stale_days")},
		}}
	}
	return nil
}

// activeSecret reports whether c is an active credential that can
// authenticate (certificates have their own rules).
func activeSecret(c *warden.Credential) bool {
	return c.Status == warden.CredentialActive && c.Type != warden.CredentialCertificate
}

// checkCredentialUnused fires per active credential not used for
// unused_days (never used: counted from its creation or last rotation).
func checkCredentialUnused(s *Snapshot, e *env) []Hit {
	limit := e.days("unused_days")
	var hits []Hit
	for _, c := range s.Credentials {
		if !activeSecret(c) || c.Type == warden.CredentialPassword {
			continue
		}
		if c.LastUsedAt != nil {
			if idle := s.Now.Sub(*c.LastUsedAt); idle > limit {
				hits = append(hits, Hit{
					Subject:  c.ID,
					Detail:   fmt.Sprintf("%s %s last used %d days ago.", c.Type, label(c), daysOf(idle)),
					Evidence: map[string]any{"credential_id": c.ID, "public_id": c.PublicID, "last_used_at": c.LastUsedAt, "idle_days": daysOf(idle)},
				})
			}
			continue
		}
		born := issued(c)
		if age := s.Now.Sub(born); age > limit {
			hits = append(hits, Hit{
				Subject:  c.ID,
				Detail:   fmt.Sprintf("%s %s never used in the %d days since %s.", c.Type, label(c), daysOf(age), born.Format(time.DateOnly)),
				Evidence: map[string]any{"credential_id": c.ID, "public_id": c.PublicID, "last_used_at": nil, "age_days": daysOf(age)},
			})
		}
	}
	return hits
}

// issued is when the credential's current secret was made: its last
// rotation, else its creation.
func issued(c *warden.Credential) time.Time {
	if c.LastRotatedAt != nil {
		return *c.LastRotatedAt
	}
	return c.CreatedAt
}

func label(c *warden.Credential) string {
	if c.PublicID != "" {
		return c.PublicID
	}
	if len(c.Fingerprint) >= 12 {
		return "sha256:" + c.Fingerprint[:12]
	}
	return c.ID
}
