package warden_test

import (
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func validIdentity() *warden.Identity {
	return &warden.Identity{
		Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes,
		ExternalID: "system:serviceaccount:payments:api", Name: "payments-api",
	}
}

func TestIdentityValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		modify func(i *warden.Identity)
		field  string // "" means valid
	}{
		{"OK", func(*warden.Identity) {}, ""},
		{"OKCustomProvider", func(i *warden.Identity) { i.Provider = "hashicorp-vault" }, ""},
		{"OKEveryField", func(i *warden.Identity) {
			i.Owner, i.Purpose, i.Environment, i.Labels = "team-payments", "Serves the payments API", "prod", map[string]string{"app.kubernetes.io/name": "api"}
		}, ""},
		{"ErrKind", func(i *warden.Identity) { i.Kind = "human" }, "kind"},
		{"ErrKindEmpty", func(i *warden.Identity) { i.Kind = "" }, "kind"},
		{"ErrProviderCase", func(i *warden.Identity) { i.Provider = "AWS" }, "provider"},
		{"ErrProviderLong", func(i *warden.Identity) { i.Provider = warden.Provider(strings.Repeat("a", 33)) }, "provider"},
		{"ErrExternalIDBlank", func(i *warden.Identity) { i.ExternalID = "   " }, "external_id"},
		{"ErrExternalIDLong", func(i *warden.Identity) { i.ExternalID = strings.Repeat("x", warden.MaxExternalIDLen+1) }, "external_id"},
		{"ErrNameMissing", func(i *warden.Identity) { i.Name = "" }, "name"},
		{"ErrNameControl", func(i *warden.Identity) { i.Name = "api\x00" }, "name"},
		{"ErrNameNewline", func(i *warden.Identity) { i.Name = "a\nb" }, "name"},
		{"ErrOwnerUTF8", func(i *warden.Identity) { i.Owner = "\xff" }, "owner"},
		{"ErrEnvironment", func(i *warden.Identity) { i.Environment = "Production" }, "environment"},
		{"ErrLabelKey", func(i *warden.Identity) { i.Labels = map[string]string{"has space": "v"} }, "labels"},
		{"ErrLabelValue", func(i *warden.Identity) { i.Labels = map[string]string{"k": strings.Repeat("v", 257)} }, "labels.k"},
		{"ErrTooManyLabels", func(i *warden.Identity) {
			i.Labels = map[string]string{}
			for n := 0; n <= warden.MaxLabels; n++ {
				i.Labels[strings.Repeat("k", 1)+string(rune('a'+n%26))+strings.Repeat("x", n/26)] = "v"
			}
		}, "labels"},
		{"ErrStatus", func(i *warden.Identity) { i.Status = "paused" }, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := validIdentity()
			tc.modify(i)
			err := i.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if i.Status != warden.StatusActive || i.Labels == nil {
					t.Fatalf("defaults not filled: status %q labels %v", i.Status, i.Labels)
				}
				return
			}
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != tc.field {
				t.Fatalf("got %v (field %q), want EINVALID on %q", err, warden.ErrorField(err), tc.field)
			}
		})
	}
}

func TestIdentityUpdate_ValidateAndApply(t *testing.T) {
	owner, env := "team-x", "staging"
	review := time.Date(2027, 1, 31, 12, 0, 0, 999, time.FixedZone("CET", 3600))
	u := warden.IdentityUpdate{Owner: &owner, Environment: &env, NextReviewAt: &review, Labels: &map[string]string{"a": "1"}}
	if err := u.Validate(); err != nil {
		t.Fatal(err)
	}
	i := validIdentity()
	i.Labels = map[string]string{"old": "x"}
	u.Apply(i)
	if i.Owner != owner || i.Environment != env || len(i.Labels) != 1 || i.Labels["a"] != "1" {
		t.Fatalf("apply: %+v", i)
	}
	if i.NextReviewAt.Location() != time.UTC || i.NextReviewAt.Nanosecond() != 0 {
		t.Fatalf("review date not normalised to UTC microseconds: %v", i.NextReviewAt)
	}
	(*u.Labels)["a"] = "changed"
	if i.Labels["a"] != "1" {
		t.Fatal("apply shares the update's label map")
	}
	(&warden.IdentityUpdate{ClearNextReview: true}).Apply(i)
	if i.NextReviewAt != nil {
		t.Fatal("ClearNextReview did not clear")
	}
	if !(&warden.IdentityUpdate{}).Empty() || (&warden.IdentityUpdate{ClearNextReview: true}).Empty() {
		t.Fatal("Empty is wrong")
	}
	for name, bad := range map[string]warden.IdentityUpdate{
		"status":      {Status: ptr(warden.StatusDeprovisioned)},
		"environment": {Environment: ptr("Prod!")},
		"name":        {Name: ptr("")},
	} {
		if err := bad.Validate(); warden.ErrorField(err) != name {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

func TestIdentityFilterValidate(t *testing.T) {
	f := warden.IdentityFilter{}
	if err := f.Validate(); err != nil || f.Limit != warden.DefaultPageSize || f.Sort != "created_at" {
		t.Fatalf("defaults: %+v %v", f, err)
	}
	for field, f := range map[string]warden.IdentityFilter{
		"kind":     {Kind: "x"},
		"provider": {Provider: "A B"},
		"status":   {Status: "x"},
		"owner":    {Owner: "a", Unowned: true},
		"label":    {Labels: map[string]string{"": "v"}},
		"q":        {Query: strings.Repeat("q", 300)},
		"sort":     {Sort: "-owner"},
		"limit":    {Limit: -1},
	} {
		if err := f.Validate(); warden.ErrorField(err) != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	ok := warden.IdentityFilter{Sort: "-last_used_at", Limit: warden.MaxPageSize}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
