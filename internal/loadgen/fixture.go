// Package loadgen is the workload of warden's decision-point load runs: a
// deterministic inventory, policy set and request mix (Generate, Load), and
// a closed-loop HTTP load runner reporting throughput and latency (Run).
// The loopback benchmark in httpapi and the separate-process load
// generator cmd/pdpload share it, so both measure the same thing.
package loadgen

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/warden-nhi/warden"
)

// Fixture is an inventory, an active policy version, stored resources and
// decision request bodies for POST /v1/authorize.
type Fixture struct {
	Identities []*warden.Identity
	Version    *warden.PolicyVersion
	Entities   []*warden.PolicyEntity
	// Bodies are decision requests: 9 in 10 a prod identity reading a
	// secret of a service its team may read, the rest random (mostly
	// default denies); about 87% are allowed.
	Bodies [][]byte
}

// Store is what Load writes to (store.DB).
type Store interface {
	ImportIdentities(ctx context.Context, ids []*warden.Identity) (warden.ImportResult, error)
	CreatePolicyVersion(ctx context.Context, v *warden.PolicyVersion) error
	ActivatePolicyVersion(ctx context.Context, version int64) (*warden.PolicyActivation, error)
	PutPolicyEntities(ctx context.Context, ents []*warden.PolicyEntity) error
	CreateToken(ctx context.Context, name string, role warden.Role) (*warden.APIToken, string, error)
}

// Schema is the user schema of the fixture's policies.
const Schema = `entity Service; entity Secret in [Service];
action read, write appliesTo { principal: [Identity], resource: [Service, Secret], context: { source_ip?: String } };`

// Generate builds a fixture of nIdentities Kubernetes service accounts in
// 50 teams, nPolicies policies with realistic scopes (one in ten a
// forbid): team-scoped reads of a service's secrets for prod identities,
// per-identity read/write from 10.* addresses, team-scoped writes of one
// secret; 1,000 secrets in 100 services; 4,096 request bodies. The same
// seed gives the same fixture.
func Generate(nIdentities, nPolicies int, seed uint64) *Fixture {
	r := rand.New(rand.NewPCG(seed, 2))
	const teams = 50
	ids := make([]*warden.Identity, nIdentities)
	for i := range ids {
		ids[i] = &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderKubernetes,
			ExternalID: fmt.Sprintf("system:serviceaccount:ns%d:svc%d", i%200, i), Name: fmt.Sprintf("svc%d", i),
			Owner: fmt.Sprintf("team-%d", r.IntN(teams)), Environment: []string{"prod", "staging"}[r.IntN(2)]}
	}
	type grant struct {
		team    string
		service int
	}
	var grants []grant
	var pol strings.Builder
	for i := 0; i < nPolicies; i++ {
		effect := "permit"
		if i%10 == 0 {
			effect = "forbid"
		}
		switch i % 3 {
		case 0:
			g := grant{fmt.Sprintf("team-%d", r.IntN(teams)), r.IntN(100)}
			if effect == "permit" {
				grants = append(grants, g)
			}
			fmt.Fprintf(&pol, "%s (principal in Team::%q, action == Action::\"read\", resource in Service::\"svc-%d\") when { principal.environment == \"prod\" };\n", effect, g.team, g.service)
		case 1:
			fmt.Fprintf(&pol, "%s (principal == Identity::\"%s\", action in [Action::\"read\", Action::\"write\"], resource) when { context has source_ip && context.source_ip like \"10.*\" };\n", effect, ids[r.IntN(nIdentities)].ExternalID)
		default:
			fmt.Fprintf(&pol, "%s (principal in Team::\"team-%d\", action == Action::\"write\", resource == Secret::\"sec-%d\");\n", effect, r.IntN(teams), r.IntN(1000))
		}
	}
	f := &Fixture{Identities: ids, Version: &warden.PolicyVersion{Schema: Schema, Policies: map[string]string{"bench.cedar": pol.String()}}}
	for i := 0; i < 1000; i++ {
		f.Entities = append(f.Entities, &warden.PolicyEntity{Type: "Secret", ID: fmt.Sprintf("sec-%d", i), Parents: []warden.EntityRef{{Type: "Service", ID: fmt.Sprintf("svc-%d", i%100)}}})
	}
	byTeam := map[string][]*warden.Identity{}
	for _, id := range ids {
		if id.Environment == "prod" {
			byTeam[id.Owner] = append(byTeam[id.Owner], id)
		}
	}
	f.Bodies = make([][]byte, 4096)
	for i := range f.Bodies {
		id := ids[r.IntN(nIdentities)]
		action := []string{"read", "write"}[r.IntN(2)]
		res := fmt.Sprintf(`{"type":"Secret","id":"sec-%d"}`, r.IntN(1000))
		if g := grants[r.IntN(len(grants))]; r.IntN(10) > 0 && len(byTeam[g.team]) > 0 {
			id, action = byTeam[g.team][r.IntN(len(byTeam[g.team]))], "read"
			res = fmt.Sprintf(`{"type":"Secret","id":"sec-%d"}`, g.service+100*r.IntN(10))
		}
		f.Bodies[i] = []byte(fmt.Sprintf(`{"principal":{"type":"Identity","id":%q},"action":{"id":%q},"resource":%s,"context":{"source_ip":"10.1.%d.%d"}}`,
			id.ExternalID, action, res, r.IntN(256), r.IntN(256)))
	}
	return f
}

// Load writes the fixture into db (identities, the policy version
// activated, the stored entities) and returns the secret of a new
// operator API token that may call /v1/authorize. ctx carries the actor.
func (f *Fixture) Load(ctx context.Context, db Store) (string, error) {
	if _, err := db.ImportIdentities(ctx, f.Identities); err != nil {
		return "", fmt.Errorf("load identities: %w", err)
	}
	if err := db.CreatePolicyVersion(ctx, f.Version); err != nil {
		return "", fmt.Errorf("push policies: %w", err)
	}
	if _, err := db.ActivatePolicyVersion(ctx, f.Version.Version); err != nil {
		return "", fmt.Errorf("activate policies: %w", err)
	}
	if err := db.PutPolicyEntities(ctx, f.Entities); err != nil {
		return "", fmt.Errorf("store entities: %w", err)
	}
	_, secret, err := db.CreateToken(ctx, "pdp-load", warden.RoleOperator)
	if err != nil {
		return "", fmt.Errorf("create API token: %w", err)
	}
	return secret, nil
}
