package policy

import (
	"math/rand/v2"
	"slices"
	"testing"

	cedar "github.com/cedar-policy/cedar-go"

	"github.com/warden-nhi/warden"
)

// TestIndex_SameDecisionsAsBareAuthorize is the differential test: on
// random policy sets and requests, the indexed evaluation returns exactly
// the decision, determining policies and errors of cedar.Authorize over
// every policy.
func TestIndex_SameDecisionsAsBareAuthorize(t *testing.T) {
	for _, tc := range []struct {
		name     string
		seed     uint64
		policies int
	}{
		{"Small", 1, 20},
		{"Fifty", 2, 50},
		{"FiveHundred", 3, 500},
		{"Dense", 4, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(tc.seed, 99))
			w := newWorld(r, 3000)
			set, err := Compile(&warden.PolicyVersion{Schema: w.schema, Policies: w.policies(r, tc.policies)})
			if err != nil {
				t.Fatal(err)
			}
			bare := set.PolicySet()
			allows, candidates := 0, 0
			const requests = 3000
			for i := 0; i < requests; i++ {
				req := w.request(r)
				wantD, wantDiag := cedar.Authorize(bare, w.entities, req)
				gotD, gotDiag := set.Decide(req, w.entities)
				wp, we := diagnosticStrings(wantDiag)
				gp, ge := diagnosticStrings(gotDiag)
				if gotD != wantD || !slices.Equal(gp, wp) || !slices.Equal(ge, we) {
					t.Fatalf("request %d %v: indexed %v %v %v, bare %v %v %v", i, req, gotD, gp, ge, wantD, wp, we)
				}
				if gotD == cedar.Allow {
					allows++
				}
				candidates += set.index.candidates(req, w.entities).Len()
			}
			if allows == 0 || allows == requests {
				t.Fatalf("%d of %d allowed: the test exercises only one outcome", allows, requests)
			}
			t.Logf("%d policies: %d%% allowed, %.1f candidates per request on average", set.Len(), 100*allows/requests, float64(candidates)/requests)
		})
	}
}
