package demo_test

import (
	"context"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/demo"
	"github.com/warden-nhi/warden/owners"
)

func TestLoadOwnership_UnownedDemoIdentitiesGetSuggestions(t *testing.T) {
	ctx := context.Background()
	db := openDemo(t)
	svc, err := owners.New(owners.Config{Store: db, Identities: db, Provenance: db, Events: db, Grants: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.LoadOwnership(ctx, db, svc, now); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]struct {
		owner      string
		confidence int
	}{
		"arn:aws:iam::402118867530:user/tmp-migration-2022":    {"dave@northwind.example", 85},
		"arn:aws:iam::227591043866:role/legacy-jenkins-deploy": {"alice@northwind.example", 70},
	} {
		id, err := db.FindIdentityByRef(ctx, ref, warden.ProviderAWS)
		if err != nil {
			t.Fatal(err)
		}
		list, _, err := db.FindOwnerSuggestions(ctx, warden.OwnerSuggestionFilter{IdentityID: id.ID, Status: warden.OwnerSuggestionPending})
		if err != nil || len(list) != 1 || list[0].Owner != want.owner || list[0].Confidence != want.confidence || list[0].Evidence[0].EventID == "" {
			t.Fatalf("%s suggestions = %+v, %v; want %s at %d", ref, list, err, want.owner, want.confidence)
		}
	}
	// Loading again changes nothing.
	if err := demo.LoadOwnership(ctx, db, svc, now); err != nil {
		t.Fatal(err)
	}
	if list, _, _ := db.FindOwnerSuggestions(ctx, warden.OwnerSuggestionFilter{}); len(list) != 2 {
		t.Fatalf("after a second load: %d suggestions, want 2", len(list))
	}
}
