package demo

import (
	"context"
	"fmt"

	"github.com/warden-nhi/warden"
)

// The people of the demo organisation who ask for and approve access. Their
// actors stand for API tokens that only the demo data knows.
var (
	demoAlice = warden.Actor{Type: "token", ID: "demo-alice", Name: "alice@northwind.example", Role: warden.RoleOperator}
	demoBob   = warden.Actor{Type: "token", ID: "demo-bob", Name: "bob@northwind.example", Role: warden.RoleApprover}
	demoCarol = warden.Actor{Type: "token", ID: "demo-carol", Name: "carol@northwind.example", Role: warden.RoleOperator}
)

// LoadAccess asks for just-in-time access through svc as the demo's
// people, so that a newcomer sees each state at once: a staging read the
// access policy granted, a prod write with one of its two approvals, and a
// break-glass grant (with its detection) waiting for review.
func LoadAccess(ctx context.Context, svc warden.AccessService) error {
	as := func(a warden.Actor) context.Context { return warden.NewContextWithActor(ctx, a) }
	billing := func(acct string) string { return "arn:aws:iam::" + acct + ":role/workload/billing-worker" }
	if _, _, err := svc.RequestAccess(as(demoAlice), warden.AccessInput{
		Identity: billing(awsStaging), Duration: "2h", Reason: "debug the failed invoice run of last night",
		Scope: warden.AccessScope{Actions: []string{"s3:GetObject", "s3:ListBucket"}, Resources: []string{"S3Object::arn:aws:s3:::nw-invoices-staging/*"}},
	}); err != nil {
		return fmt.Errorf("demo: staging read: %w", err)
	}
	write, _, err := svc.RequestAccess(as(demoAlice), warden.AccessInput{
		Identity: billing(awsProd), Duration: "1h", Reason: "re-run the December invoice export (INC-4411)",
		Scope: warden.AccessScope{Actions: []string{"s3:PutObject"}, Resources: []string{"S3Object::arn:aws:s3:::nw-invoices/2026-12/*"}},
	})
	if err != nil {
		return fmt.Errorf("demo: prod write: %w", err)
	}
	if _, err := svc.ApproveAccess(as(demoBob), write.ID, "export checked against INC-4411"); err != nil {
		return fmt.Errorf("demo: approve prod write: %w", err)
	}
	glass := warden.NewContextWithAccessCaller(as(demoCarol), &warden.AccessCaller{
		Actor: demoCarol, Kind: warden.RequesterPerson, BreakGlassToken: "demo-carol-glass(carol-breakglass)",
	})
	if _, err := svc.BreakGlass(glass, warden.AccessInput{
		Identity: serviceAccount("billing", "invoice-renderer"), Duration: "30m",
		Reason: "INC-4420: invoice renderer crash-looping, restarting it by hand",
		Scope:  warden.AccessScope{Actions: []string{"update", "delete"}, Resources: []string{"Deployment::billing/invoice-renderer"}},
	}); err != nil {
		return fmt.Errorf("demo: break-glass: %w", err)
	}
	return nil
}
