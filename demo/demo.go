// Package demo builds a realistic, fictional inventory of non-human
// identities for demonstrations, screenshots and tests: Northwind Freight,
// a logistics company with AWS accounts, an EKS cluster, a GitHub
// organisation, GCP analytics projects, an Azure ERP estate, SaaS API keys,
// certificates, SPIFFE workloads and AI agents — with the usual mess of
// unowned, idle, never-rotated and unmanaged identities.
//
// The data is deterministic: a fixed seed, and every time relative to the
// now passed in. Credential fingerprints are SHA-256 digests of fake values
// such as "northwind-demo-fake-secret/..."; nothing here is a real secret.
package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/warden-nhi/warden"
)

// Domain is the trust domain and e-mail domain of the fictional company.
const Domain = "northwind.example"

// Item is one identity of the demo inventory with the credentials recorded
// for it. Credentials have no IdentityID until Load sets it.
type Item struct {
	Identity    *warden.Identity
	Credentials []*warden.Credential
}

// Fixed seed: the data set must be the same on every run.
const seed1, seed2 = 0x6e6f72746877696e, 0x64667265696768

// Identities returns the demo inventory, with times relative to now. Each
// call returns fresh values that the caller may change.
func Identities(now time.Time) []Item {
	g := &gen{now: now.UTC().Truncate(time.Second), rng: rand.New(rand.NewPCG(seed1, seed2))}
	g.aws()
	g.kubernetes()
	g.github()
	g.gitlab()
	g.gcp()
	g.azure()
	g.saas()
	g.certificates()
	g.workloads()
	g.agents()
	g.finish()
	return g.items
}

// Load creates the demo inventory through the domain services, as the
// system actor "demo", and returns how many identities it created.
// Identities that already exist (same provider and external id) are
// skipped with their credentials, so loading twice is harmless.
func Load(ctx context.Context, ids warden.IdentityService, creds warden.CredentialService, now time.Time) (int, error) {
	ctx = warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "demo"})
	created := 0
	for _, item := range Identities(now) {
		if err := ids.CreateIdentity(ctx, item.Identity); err != nil {
			if warden.ErrorCode(err) == warden.ECONFLICT {
				continue
			}
			return created, fmt.Errorf("demo: create identity %s: %w", item.Identity.ExternalID, err)
		}
		created++
		for _, c := range item.Credentials {
			c.IdentityID = item.Identity.ID
			if err := creds.CreateCredential(ctx, c); err != nil {
				return created, fmt.Errorf("demo: create %s credential of %s: %w", c.Type, item.Identity.ExternalID, err)
			}
		}
	}
	return created, nil
}

// gen accumulates items; the per-provider builders live in the other files.
type gen struct {
	now   time.Time
	rng   *rand.Rand
	items []Item
	// unmanaged marks identities seen only in activity logs; finish keeps
	// them bare (no owner, purpose or review date).
	unmanaged map[*warden.Identity]bool
	// pinned marks identities whose status and usage a builder chose on
	// purpose; finish leaves their usage alone.
	pinned map[*warden.Identity]bool
}

// add appends an identity built from the common fields. team is the owner
// ("" for none); its labels follow from it.
func (g *gen) add(kind warden.IdentityKind, provider warden.Provider, externalID, name, team, env, purpose string, creds ...*warden.Credential) *warden.Identity {
	id := &warden.Identity{
		Kind: kind, Provider: provider, ExternalID: externalID, Name: name,
		Owner: team, Purpose: purpose, Environment: env,
		Labels: map[string]string{}, Status: warden.StatusActive, Managed: true,
	}
	if team != "" {
		id.Labels["team"] = team
		id.Labels["cost-center"] = costCenters[team]
	}
	g.items = append(g.items, Item{Identity: id, Credentials: creds})
	return id
}

// attach adds credentials to the identity added last.
func (g *gen) attach(creds ...*warden.Credential) {
	last := &g.items[len(g.items)-1]
	last.Credentials = append(last.Credentials, creds...)
}

// markUnmanaged records that the identity was only seen in logs.
func (g *gen) markUnmanaged(id *warden.Identity) {
	if g.unmanaged == nil {
		g.unmanaged = map[*warden.Identity]bool{}
	}
	g.unmanaged[id] = true
}

// pin records that the builder set the identity's status and usage itself.
func (g *gen) pin(id *warden.Identity, status warden.Status, reason string, lastUsed *time.Time) {
	if g.pinned == nil {
		g.pinned = map[*warden.Identity]bool{}
	}
	g.pinned[id] = true
	id.Status, id.StatusReason, id.LastUsedAt = status, reason, lastUsed
}

// ago returns now minus whole days and a few hours, never on a day boundary
// so that "93d ago" reads the same a few seconds later.
func (g *gen) ago(days int) *time.Time {
	t := g.now.Add(-time.Duration(days)*24*time.Hour - time.Duration(2+g.rng.IntN(20))*time.Hour)
	return &t
}

// in returns now plus whole days and a few hours.
func (g *gen) in(days int) *time.Time {
	t := g.now.Add(time.Duration(days)*24*time.Hour + time.Duration(2+g.rng.IntN(20))*time.Hour)
	return &t
}

// between returns a day count in [lo, hi].
func (g *gen) between(lo, hi int) int { return lo + g.rng.IntN(hi-lo+1) }

// fingerprint is the SHA-256 of a fake, obviously non-secret value.
func fingerprint(parts ...string) string {
	h := sha256.New()
	h.Write([]byte("northwind-demo-fake-secret"))
	for _, p := range parts {
		h.Write([]byte{'/'})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// token returns n deterministic characters from alphabet.
func (g *gen) token(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.rng.IntN(len(alphabet))]
	}
	return string(b)
}

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	hexDigits   = "0123456789abcdef"
)

// cred builds a credential whose secret was created or last rotated
// rotatedDaysAgo days ago.
func (g *gen) cred(typ warden.CredentialType, publicID, description string, rotatedDaysAgo int, fpParts ...string) *warden.Credential {
	c := &warden.Credential{
		Type: typ, PublicID: publicID, Description: description,
		Status: warden.CredentialActive, LastRotatedAt: g.ago(rotatedDaysAgo),
	}
	if len(fpParts) > 0 {
		c.Fingerprint = fingerprint(fpParts...)
	}
	return c
}
