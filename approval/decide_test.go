package approval_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/approval"
)

// ladder is a policy that says each of the three things a request can
// get, by the context's "want" and the identity's attributes and tags.
const ladder = `
@id("ask") permit (principal, action == Action::"request", resource)
when { context.want != "deny" };
@id("owned-dev") permit (principal, action == Action::"auto_approve", resource)
when { resource.has_owner && resource.environment == "dev" && principal.name == "alice" };
@id("team-tag") permit (principal, action == Action::"auto_approve", resource)
when { resource.hasTag("team") && resource.getTag("team") == "payments" };
@id("prod") permit (principal, action == Action::"two_approvers", resource)
when { resource.environment == "prod" || context.actions.contains("*") };
@id("new-at-once") permit (principal, action == Action::"auto_approve", resource)
when { resource == Identity::"new" };
@id("no-quarantined") forbid (principal, action, resource)
when { resource.status == "quarantined" };
@id("broken-ask") forbid (principal, action == Action::"request", resource)
when { context.want == "error-ask" && context.missing };
@id("broken-auto") permit (principal, action == Action::"auto_approve", resource)
when { context.want == "error-auto" && context.missing };
`

// request is a request by alice for an active identity without owner in
// staging; mut changes it.
func request(mut func(r *approval.Request, i *warden.Identity, ctx types.RecordMap)) approval.Request {
	i := &warden.Identity{ID: "id-1", Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes,
		Environment: "staging", Status: warden.StatusActive}
	r := approval.Request{
		Principal:           types.NewEntityUID("Person", "tok-a"),
		PrincipalAttributes: types.RecordMap{"name": types.String("alice")},
		ResourceID:          i.ID,
		Identity:            i,
		Context:             types.RecordMap{"want": types.String(""), "actions": approval.StringSet([]string{"get"})},
	}
	if mut != nil {
		mut(&r, i, r.Context)
	}
	return r
}

func TestPolicy_Decide(t *testing.T) {
	p, err := approval.Parse("test policy", "ladder.cedar", []byte(ladder))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mut  func(r *approval.Request, i *warden.Identity, ctx types.RecordMap)
		want approval.Verdict
	}{
		"OneApprover": {
			want: approval.Verdict{Allowed: true, Approvals: 1},
		},
		"DeniedByNoPermit": {
			mut:  func(_ *approval.Request, _ *warden.Identity, ctx types.RecordMap) { ctx["want"] = types.String("deny") },
			want: approval.Verdict{},
		},
		"DeniedByForbid": {
			mut:  func(_ *approval.Request, i *warden.Identity, _ types.RecordMap) { i.Status = warden.StatusQuarantined },
			want: approval.Verdict{DeterminedBy: []string{"no-quarantined"}},
		},
		"AutoApprovedByAttributes": {
			mut: func(_ *approval.Request, i *warden.Identity, _ types.RecordMap) {
				i.Owner, i.Environment = "team-a", "dev"
			},
			want: approval.Verdict{Allowed: true, AutoApprove: true, DeterminedBy: []string{"owned-dev"}},
		},
		"AutoApprovedByTag": {
			mut: func(_ *approval.Request, i *warden.Identity, _ types.RecordMap) {
				i.Labels = map[string]string{"team": "payments"}
			},
			want: approval.Verdict{Allowed: true, AutoApprove: true, DeterminedBy: []string{"team-tag"}},
		},
		"ResourceIDNamesTheEntity": {
			mut:  func(r *approval.Request, _ *warden.Identity, _ types.RecordMap) { r.ResourceID = "new" },
			want: approval.Verdict{Allowed: true, AutoApprove: true, DeterminedBy: []string{"new-at-once"}},
		},
		"OtherPrincipalWaits": {
			mut: func(r *approval.Request, i *warden.Identity, _ types.RecordMap) {
				i.Owner, i.Environment = "team-a", "dev"
				r.PrincipalAttributes = types.RecordMap{"name": types.String("mallory")}
			},
			want: approval.Verdict{Allowed: true, Approvals: 1},
		},
		"TwoApproversByIdentity": {
			mut:  func(_ *approval.Request, i *warden.Identity, _ types.RecordMap) { i.Environment = "prod" },
			want: approval.Verdict{Allowed: true, Approvals: 2, DeterminedBy: []string{"prod"}},
		},
		"TwoApproversByContextSet": {
			mut: func(_ *approval.Request, _ *warden.Identity, ctx types.RecordMap) {
				ctx["actions"] = approval.StringSet([]string{"get", "*"})
			},
			want: approval.Verdict{Allowed: true, Approvals: 2, DeterminedBy: []string{"prod"}},
		},
		"ErrorAskingRequest": {
			mut: func(_ *approval.Request, _ *warden.Identity, ctx types.RecordMap) {
				ctx["want"] = types.String("error-ask")
			},
			want: approval.Verdict{Allowed: true, Approvals: 1, Errors: []string{"broken-ask"}},
		},
		"ErrorAskingAutoApprove": {
			mut: func(_ *approval.Request, _ *warden.Identity, ctx types.RecordMap) {
				ctx["want"] = types.String("error-auto")
			},
			want: approval.Verdict{Allowed: true, Approvals: 1, AutoApproveErrors: []string{"broken-auto"}},
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := normalized(p.Decide(request(tc.mut)))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decide = %+v\nwant     %+v", got, tc.want)
			}
		})
	}
}

// normalized is v with empty lists as nil and each error as the id of the
// policy that failed (the message is cedar-go's).
func normalized(v approval.Verdict) approval.Verdict {
	ids := func(list []string) []string {
		if len(list) == 0 {
			return nil
		}
		out := make([]string, len(list))
		for i, s := range list {
			out[i], _, _ = strings.Cut(s, ":")
		}
		return out
	}
	if len(v.DeterminedBy) == 0 {
		v.DeterminedBy = nil
	}
	v.Errors, v.AutoApproveErrors = ids(v.Errors), ids(v.AutoApproveErrors)
	return v
}

func TestVerdict_Describe(t *testing.T) {
	for name, tc := range map[string]struct {
		ids  []string
		want string
	}{
		"None": {nil, "no policy permits it"},
		"One":  {[]string{"a"}, "a"},
		"Two":  {[]string{"a", "b"}, "a, b"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := (approval.Verdict{DeterminedBy: tc.ids}).Describe(); got != tc.want {
				t.Fatalf("Describe = %q, want %q", got, tc.want)
			}
		})
	}
}

func ExamplePolicy_Decide() {
	p, err := approval.Parse("example policy", "example.cedar", []byte(`
@id("anyone") permit (principal, action == Action::"request", resource);
@id("dev-at-once") permit (principal, action == Action::"auto_approve", resource)
when { resource.environment == "dev" };`))
	if err != nil {
		panic(err)
	}
	v := p.Decide(approval.Request{
		Principal:  types.NewEntityUID("Person", "alice"),
		ResourceID: "id-1",
		Identity:   &warden.Identity{ID: "id-1", Environment: "dev"},
	})
	fmt.Println(v.AutoApprove, v.Describe())
	// Output: true dev-at-once
}
