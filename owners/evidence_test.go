package owners_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestEvidence_EachSourceAndHowTheyCombine(t *testing.T) {
	ctx := actorCtx("tester")
	db := storetest.OpenSQLite(t)
	svc := newService(t, db)
	create := func(i *warden.Identity) *warden.Identity {
		t.Helper()
		if err := db.CreateIdentity(ctx, i); err != nil {
			t.Fatal(err)
		}
		return i
	}
	at := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	record := func(p *warden.Provenance) {
		t.Helper()
		p.Provider, p.Source, p.Time = warden.ProviderAWS, "cloudtrail", at
		if err := db.RecordProvenance(ctx, []*warden.Provenance{p}); err != nil {
			t.Fatal(err)
		}
	}

	labelled := create(&warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: "system:serviceaccount:ledger:exporter", Name: "exporter",
		Labels: map[string]string{"tag/Contact": "bob@northwind.example", "k8s/example.com/owner": "team-ledger", "namespace": "ledger"}})
	pat := create(&warden.Identity{Kind: warden.KindAPIKey, Provider: warden.ProviderGitHub, ExternalID: "pat/1234", Name: "octocat pat", Labels: map[string]string{"github.user": "octocat"}})
	ci := create(&warden.Identity{Kind: warden.KindCIIdentity, Provider: warden.ProviderGitHub, ExternalID: "repo:northwind/ledger:ref:refs/heads/main", Name: "ledger main",
		Labels: map[string]string{"github.repo": "northwind/ledger"}})
	role := create(&warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:role/ledger-deploy", Name: "ledger-deploy"})
	cond, _ := json.Marshal(map[string]map[string]any{"StringLike": {"token.actions.githubusercontent.com:sub": []string{"repo:northwind/ledger:ref:refs/heads/main", "repo:northwind/*"}}})
	if err := db.ReplaceGrants(ctx, role.ID, "aws-iam", []*warden.Grant{{Kind: warden.GrantTrust, Effect: "allow", Via: "trust-policy",
		Principals: []string{"Federated:arn:aws:iam::402118867530:oidc-provider/token.actions.githubusercontent.com"}, Conditions: cond, Source: "aws-iam"}}); err != nil {
		t.Fatal(err)
	}
	// report-bot: created by the ci-admin automation (itself an identity, owned by team-platform).
	ciAdmin := create(&warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/automation/ci-admin", Name: "ci-admin", Owner: "team-platform",
		Labels: map[string]string{"tag/owner": "Team-Platform", "tag/contact": "dana@northwind.example"}})
	bot := create(&warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/report-bot", Name: "report-bot"})
	record(&warden.Provenance{IdentityExternalID: bot.ExternalID, CredentialExternalID: "AKIAV3NWFREIGHTRB002", Creator: "ci-admin", CreatorRef: ciAdmin.ExternalID, Event: "CreateAccessKey", EventID: "ev-key"})
	// exporter-user: created by Alice, who its label names too (in other case).
	both := create(&warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/exporter", Name: "exporter-user",
		Labels: map[string]string{"tag/owner": "Alice@Northwind.example"}})
	record(&warden.Provenance{IdentityExternalID: both.ExternalID, Creator: "alice@northwind.example", CreatorRef: "arn:aws:sts::402118867530:assumed-role/AWSReservedSSO_Admin/alice@northwind.example", Event: "CreateUser", EventID: "ev-user"})
	// erin, an IAM user who signs in to the console, created it: a person.
	erin := create(&warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/erin", Name: "erin",
		Labels: map[string]string{"console-password": "true"}})
	byErin := create(&warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/etl-loader", Name: "etl-loader"})
	record(&warden.Provenance{IdentityExternalID: byErin.ExternalID, Creator: "erin", CreatorRef: erin.ExternalID, Event: "CreateUser", EventID: "ev-erin"})
	// A user that created its own key names nobody.
	self := create(&warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:user/self-rotator", Name: "self-rotator"})
	record(&warden.Provenance{IdentityExternalID: self.ExternalID, CredentialExternalID: "AKIAV3NWSELFROTATE01", Creator: "self-rotator", CreatorRef: self.ExternalID, Event: "CreateAccessKey", EventID: "ev-self"})
	// root created it: no suggestion.
	rooted := create(&warden.Identity{Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::402118867530:role/legacy", Name: "legacy"})
	record(&warden.Provenance{IdentityExternalID: rooted.ExternalID, Creator: "root", CreatorRef: "arn:aws:iam::402118867530:root", Event: "CreateRole", EventID: "ev-root"})

	type want struct {
		confidence int
		kinds      []string
	}
	tests := map[string]struct {
		identity *warden.Identity
		want     map[string]want
	}{
		"labels":                     {labelled, map[string]want{"bob@northwind.example": {45, []string{"label"}}, "team-ledger": {65, []string{"label"}}}},
		"token owner":                {pat, map[string]want{"octocat": {70, []string{"label"}}}},
		"repository label":           {ci, map[string]want{"github.com/northwind/ledger": {30, []string{"pipeline"}}}},
		"github oidc trust":          {role, map[string]want{"github.com/northwind/ledger": {30, []string{"pipeline"}}}},
		"automation's owner":         {bot, map[string]want{"team-platform": {40, []string{"key-creator"}}}},
		"creator and label":          {both, map[string]want{"alice@northwind.example": {90, []string{"creator", "label"}}}},
		"root is nobody's owner":     {rooted, map[string]want{}},
		"a console user is a person": {byErin, map[string]want{"erin": {70, []string{"creator"}}}},
		"a key it made itself":       {self, map[string]want{}},
		"the current owner is not":   {ciAdmin, map[string]want{"dana@northwind.example": {45, []string{"label"}}}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := svc.Evidence(ctx, tt.identity)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("suggestions = %s, want %v", show(got), tt.want)
			}
			for _, s := range got {
				w, ok := tt.want[s.Owner]
				if !ok || s.Confidence != w.confidence || len(s.Evidence) != len(w.kinds) {
					t.Fatalf("suggestion %s, want %v", show([]*warden.OwnerSuggestion{s}), tt.want)
				}
				for i, k := range w.kinds {
					if s.Evidence[i].Kind != k || s.Evidence[i].Detail == "" {
						t.Fatalf("evidence %d = %+v, want kind %s", i, s.Evidence[i], k)
					}
				}
			}
		})
	}
}

func show(list []*warden.OwnerSuggestion) string {
	b, _ := json.Marshal(list)
	return string(b)
}

func TestCombineConfidence(t *testing.T) {
	ev := func(cs ...int) []warden.OwnerEvidence {
		var out []warden.OwnerEvidence
		for _, c := range cs {
			out = append(out, warden.OwnerEvidence{Confidence: c})
		}
		return out
	}
	for _, tt := range []struct {
		in   []warden.OwnerEvidence
		want int
	}{
		{ev(70), 70}, {ev(70, 50), 85}, {ev(60, 60), 84}, {ev(100, 10), 100}, {ev(0, 0), 0}, {ev(30, 30, 30), 66}, {nil, 0},
	} {
		if got := warden.CombineConfidence(tt.in); got != tt.want {
			t.Errorf("CombineConfidence(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
