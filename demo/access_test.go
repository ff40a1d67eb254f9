package demo_test

import (
	"context"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/access"
	"github.com/warden-nhi/warden/demo"
)

func TestLoadAccess_ShowsEachStateOfJustInTimeAccess(t *testing.T) {
	ctx := context.Background()
	db := openDemo(t)
	svc := access.New(access.Config{Store: db, Identities: db, Events: db, Detections: db})
	if err := demo.LoadAccess(ctx, svc); err != nil {
		t.Fatal(err)
	}
	list, _, err := db.FindAccessRequests(ctx, warden.AccessRequestFilter{})
	if err != nil || len(list) != 3 {
		t.Fatalf("access requests = %d, %v; want 3", len(list), err)
	}
	got := map[string]bool{}
	for _, r := range list {
		switch {
		case r.BreakGlass && r.Status == warden.AccessApproved && r.Review != nil && r.Review.Status == "pending":
			got["break-glass awaiting review"] = true
		case r.Status == warden.AccessApproved && r.RequiredApprovals == 0:
			got["auto-approved read"] = true
		case r.Status == warden.AccessPending && r.RequiredApprovals == 2 && len(r.Approvals) == 1:
			got["prod write with one of two approvals"] = true
		}
	}
	if len(got) != 3 {
		t.Fatalf("states shown = %v, want all three; requests %+v", got, list)
	}
	if ds, _, err := db.FindDetections(ctx, warden.DetectionFilter{Detector: access.BreakGlassDetector}); err != nil || len(ds) != 1 {
		t.Fatalf("break-glass detections = %d, %v", len(ds), err)
	}
}
