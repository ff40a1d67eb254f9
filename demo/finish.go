package demo

import (
	"time"

	"github.com/warden-nhi/warden"
)

// People who own some identities personally rather than through a team;
// a realistic share of ownership that breaks when someone leaves.
var people = []string{
	"dana.okafor@" + Domain,
	"marek.novak@" + Domain,
	"priya.raman@" + Domain,
	"tom.berg@" + Domain,
}

// finish gives every identity the lifecycle facts of a lived-in inventory:
// usage (recent, idle for months, or never), first sighting, review dates
// (some overdue), a share of unowned and personally owned identities, and
// credential usage that follows the identity's. Builders' pinned and
// unmanaged identities keep what the builder chose.
func (g *gen) finish() {
	for _, item := range g.items {
		id := item.Identity
		switch {
		case g.unmanaged[id]:
			g.finishUnmanaged(id)
		default:
			g.finishManaged(id, item.Credentials)
		}
		for _, c := range item.Credentials {
			if c.Status == warden.CredentialActive && c.LastUsedAt == nil && id.LastUsedAt != nil {
				t := *id.LastUsedAt
				c.LastUsedAt = &t
			}
		}
	}
}

// finishUnmanaged makes an identity look seen-in-logs-only: nobody has
// onboarded it, so it has no owner, purpose, team or review date.
func (g *gen) finishUnmanaged(id *warden.Identity) {
	id.Managed = false
	id.Owner, id.Purpose = "", ""
	delete(id.Labels, "team")
	delete(id.Labels, "cost-center")
	id.FirstSeenAt = g.ago(g.between(3, 60))
	id.LastUsedAt = g.ago(g.between(0, 2))
	id.NextReviewAt = nil
}

func (g *gen) finishManaged(id *warden.Identity, creds []*warden.Credential) {
	if !g.pinned[id] {
		switch roll := g.rng.IntN(100); {
		case roll < 6: // idle for months
			id.LastUsedAt = g.ago(g.between(100, 400))
		case roll < 10: // created, never used
			id.LastUsedAt = nil
		default:
			id.LastUsedAt = g.ago(g.between(0, 13))
		}
	}

	if id.Owner != "" {
		switch roll := g.rng.IntN(100); {
		case roll < 5: // the owning team was reorganised away
			id.Owner = ""
			delete(id.Labels, "team")
			delete(id.Labels, "cost-center")
		case roll < 13:
			id.Owner = people[g.rng.IntN(len(people))]
		}
	}

	// First seen before its oldest credential and its last use.
	oldest := g.between(30, 900)
	if id.LastUsedAt == nil {
		oldest = g.between(5, 200)
	}
	for _, c := range creds {
		if c.LastRotatedAt != nil {
			oldest = max(oldest, daysBefore(g.now, *c.LastRotatedAt)+g.between(1, 30))
		}
	}
	if id.LastUsedAt != nil {
		oldest = max(oldest, daysBefore(g.now, *id.LastUsedAt)+g.between(20, 200))
	}
	id.FirstSeenAt = g.ago(oldest)

	roll := g.rng.IntN(100)
	switch {
	case id.Owner == "" && roll < 50, id.Owner != "" && roll < 20:
		id.NextReviewAt = g.ago(g.between(3, 150)) // overdue
	case id.Owner != "" && roll < 90:
		id.NextReviewAt = g.in(g.between(7, 180))
	default:
		id.NextReviewAt = nil
	}
}

func daysBefore(now, t time.Time) int { return int(now.Sub(t) / (24 * time.Hour)) }
