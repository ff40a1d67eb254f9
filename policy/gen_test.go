package policy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// world is a generated organisation for differential tests and
// benchmarks: identities owned by teams, documents in folders, actions in
// action groups, and policies with realistic scopes.
type world struct {
	identities []*warden.Identity
	teams      []string
	folders    []string
	docs       []string
	actions    []string
	entities   types.EntityMap
	schema     string
}

const worldSchema = `entity Folder;
entity Doc in [Folder] { classification: String };
action "group-read";
action "group-write";
action read0, read1, read2, read3, read4, read5, read6, read7 in [Action::"group-read"] appliesTo {
  principal: [Identity], resource: [Doc, Folder], context: { source_ip?: String, token?: WardenToken }
};
action write0, write1, write2, write3, write4, write5, write6, write7 in [Action::"group-write"] appliesTo {
  principal: [Identity], resource: [Doc, Folder], context: { source_ip?: String, token?: WardenToken }
};
`

func newWorld(r *rand.Rand, nIdentities int) *world {
	w := &world{entities: types.EntityMap{}, schema: worldSchema}
	for i := 0; i < 40; i++ {
		w.teams = append(w.teams, fmt.Sprintf("team-%d", i))
	}
	for i := 0; i < 60; i++ {
		f := fmt.Sprintf("folder-%d", i)
		w.folders = append(w.folders, f)
		w.entities[types.NewEntityUID("Folder", types.String(f))] = types.Entity{UID: types.NewEntityUID("Folder", types.String(f))}
	}
	for i := 0; i < 400; i++ {
		d := fmt.Sprintf("doc-%d", i)
		w.docs = append(w.docs, d)
		uid := types.NewEntityUID("Doc", types.String(d))
		w.entities[uid] = types.Entity{UID: uid,
			Parents:    types.NewEntityUIDSet(types.NewEntityUID("Folder", types.String(w.folders[r.IntN(len(w.folders))]))),
			Attributes: types.NewRecord(types.RecordMap{"classification": types.String([]string{"public", "internal", "secret"}[r.IntN(3)])}),
		}
	}
	for _, g := range []string{"read", "write"} {
		for i := 0; i < 8; i++ {
			a := fmt.Sprintf("%s%d", g, i)
			w.actions = append(w.actions, a)
			uid := types.NewEntityUID(TypeAction, types.String(a))
			w.entities[uid] = types.Entity{UID: uid, Parents: types.NewEntityUIDSet(types.NewEntityUID(TypeAction, types.String("group-"+g)))}
		}
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < nIdentities; i++ {
		owner := ""
		if r.IntN(10) > 0 {
			owner = w.teams[r.IntN(len(w.teams))]
		}
		status := warden.StatusActive
		if r.IntN(20) == 0 {
			status = warden.StatusQuarantined
		}
		id := &warden.Identity{
			ID: fmt.Sprintf("0190a000-0000-7000-8000-%012d", i), Kind: warden.KindWorkload, Provider: warden.ProviderWarden,
			ExternalID: fmt.Sprintf("spiffe://example.org/svc-%d", i), Name: fmt.Sprintf("svc-%d", i), Owner: owner,
			Environment: []string{"prod", "staging", "dev"}[r.IntN(3)], Status: status, Managed: true,
			Labels: map[string]string{"tier": fmt.Sprint(r.IntN(3))},
		}
		w.identities = append(w.identities, id)
		created := now.Add(-time.Duration(r.IntN(400)) * 24 * time.Hour)
		ent := IdentityEntity(IdentityFacts{Identity: id, Credentials: []*warden.Credential{{CreatedAt: created}}}, now)
		w.entities[ent.UID] = ent
	}
	return w
}

// policies returns n Cedar policies with scopes of the kinds real policy
// sets have: most name an identity or a team and an action or group,
// some a folder or document, a few are broad.
func (w *world) policies(r *rand.Rand, n int) map[string]string {
	var b strings.Builder
	pick := func(list []string) string { return list[r.IntN(len(list))] }
	for i := 0; i < n; i++ {
		effect := "permit"
		if r.IntN(8) == 0 {
			effect = "forbid"
		}
		var principal, action, resource string
		switch k := r.IntN(20); {
		case k < 8:
			principal = fmt.Sprintf(`principal == Identity::"%s"`, w.identities[r.IntN(min(len(w.identities), 2000))].ID)
		case k < 16:
			principal = fmt.Sprintf(`principal in Team::"%s"`, pick(w.teams))
		case k < 18:
			principal = fmt.Sprintf(`principal is Identity in Team::"%s"`, pick(w.teams))
		case k < 19:
			principal = "principal is Identity"
		default:
			principal = "principal"
		}
		switch k := r.IntN(10); {
		case k < 6:
			action = fmt.Sprintf(`action == Action::"%s"`, pick(w.actions))
		case k < 8:
			action = fmt.Sprintf(`action in [Action::"%s", Action::"%s"]`, pick(w.actions), pick(w.actions))
		case k < 9:
			action = fmt.Sprintf(`action in Action::"group-%s"`, []string{"read", "write"}[r.IntN(2)])
		default:
			action = "action"
		}
		switch k := r.IntN(10); {
		case k < 4:
			resource = fmt.Sprintf(`resource in Folder::"%s"`, pick(w.folders))
		case k < 7:
			resource = fmt.Sprintf(`resource == Doc::"%s"`, pick(w.docs))
		case k < 8:
			resource = fmt.Sprintf(`resource is Doc in Folder::"%s"`, pick(w.folders))
		case k < 9:
			resource = "resource is Doc"
		default:
			resource = "resource"
		}
		cond := []string{
			`principal.environment == "prod"`,
			`principal.has_owner && principal.credential_age_days < 90`,
			`principal.hasTag("tier") && principal.getTag("tier") == "1"`,
			`context has source_ip && context.source_ip like "10.*"`,
			`principal.status == "active"`,
			`true`,
		}[r.IntN(6)]
		fmt.Fprintf(&b, "%s (%s, %s, %s) when { %s };\n", effect, principal, action, resource, cond)
	}
	return map[string]string{"generated.cedar": b.String()}
}

// request returns a random request of an identity on a document.
func (w *world) request(r *rand.Rand) cedar.Request {
	ctx := types.RecordMap{}
	if r.IntN(2) == 0 {
		ctx["source_ip"] = types.String(fmt.Sprintf("10.0.%d.%d", r.IntN(255), r.IntN(255)))
	}
	res := types.NewEntityUID("Doc", types.String(w.docs[r.IntN(len(w.docs))]))
	if r.IntN(5) == 0 {
		res = types.NewEntityUID("Folder", types.String(w.folders[r.IntN(len(w.folders))]))
	}
	return cedar.Request{
		Principal: IdentityUID(w.identities[r.IntN(min(len(w.identities), 2000))].ID),
		Action:    types.NewEntityUID(TypeAction, types.String(w.actions[r.IntN(len(w.actions))])),
		Resource:  res,
		Context:   types.NewRecord(ctx),
	}
}
