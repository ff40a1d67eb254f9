package warden_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestRoleCan(t *testing.T) {
	want := map[warden.Role][]warden.Permission{
		warden.RoleAdmin:    {warden.PermInventoryRead, warden.PermInventoryWrite, warden.PermAuditRead, warden.PermTokensManage, warden.PermMetricsRead, warden.PermAccessApprove},
		warden.RoleOperator: {warden.PermInventoryRead, warden.PermInventoryWrite, warden.PermAuditRead, warden.PermMetricsRead},
		warden.RoleAuditor:  {warden.PermInventoryRead, warden.PermAuditRead, warden.PermMetricsRead},
		warden.RoleApprover: {warden.PermInventoryRead, warden.PermAccessApprove},
	}
	all := want[warden.RoleAdmin]
	for role, perms := range want {
		granted := map[warden.Permission]bool{}
		for _, p := range perms {
			granted[p] = true
		}
		for _, p := range all {
			if got := role.Can(p); got != granted[p] {
				t.Errorf("%s.Can(%s) = %v, want %v", role, p, got, granted[p])
			}
		}
	}
	if warden.Role("root").Can(warden.PermInventoryRead) || warden.Role("root").Valid() {
		t.Error("an unknown role grants something")
	}
}

func TestErrorHelpers(t *testing.T) {
	err := fmt.Errorf("create identity: %w", warden.FieldErrorf("kind", "kind %q is bad", "x"))
	if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != "kind" || warden.ErrorMessage(err) != `kind "x" is bad` {
		t.Fatalf("wrapped domain error: %q %q %q", warden.ErrorCode(err), warden.ErrorField(err), warden.ErrorMessage(err))
	}
	internal := errors.New("pq: password authentication failed for user secret")
	if warden.ErrorCode(internal) != warden.EINTERNAL || warden.ErrorMessage(internal) != "Internal error." {
		t.Fatal("internal errors must not leak their text")
	}
	if warden.ErrorCode(nil) != "" || warden.ErrorMessage(nil) != "" {
		t.Fatal("nil error")
	}
}

func TestActorContext(t *testing.T) {
	if got := warden.ActorFromContext(context.Background()).String(); got != "system:warden" {
		t.Fatalf("default actor %q", got)
	}
	ctx := warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t1", Name: "ci", Role: warden.RoleOperator})
	if got := warden.ActorFromContext(ctx).String(); got != "token:t1(ci)" {
		t.Fatalf("actor %q", got)
	}
}
