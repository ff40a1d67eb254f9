package demo

import (
	"context"
	"fmt"

	"github.com/warden-nhi/warden"
)

// demoDave is the demo's person who has left the company: he onboarded a
// reporting identity before he went.
var demoDave = warden.Actor{Type: "token", ID: "demo-dave", Name: "dave@northwind.example", Role: warden.RoleOperator}

// Workflows are the governance workflows the demo runs through, as the
// server wires them.
type Workflows struct {
	Onboarding  warden.OnboardingService
	Reviews     warden.ReviewService
	Offboarding warden.OffboardingService
}

// LoadWorkflows runs the governance workflows as the demo's people, so a
// newcomer sees each of them with something in it: a read-only dev
// identity onboarded by policy at once, an admin identity for prod waiting
// for an approver, a discovered notebook service account claimed by its
// owner, a review campaign of the privileged identities with one answer,
// and the offboarding of a person who left, whose identity now waits for a
// new owner.
func LoadWorkflows(ctx context.Context, w Workflows) error {
	as := func(a warden.Actor) context.Context { return warden.NewContextWithActor(ctx, a) }
	if _, err := w.Onboarding.RequestOnboarding(as(demoDave), warden.OnboardingInput{
		Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: serviceAccount("dev-analytics", "report-preview"),
		Name: "report-preview", Purpose: "Renders previews of the weekly freight report", Team: "team-analytics", Owner: demoDave.Name,
		Environment: "dev", Permissions: []string{"configmaps:get", "pods:list"}, ReviewInterval: "180d",
	}); err != nil {
		return fmt.Errorf("demo: onboard report-preview: %w", err)
	}
	if _, err := w.Onboarding.RequestOnboarding(as(demoAlice), warden.OnboardingInput{
		Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: "arn:aws:iam::" + awsProd + ":role/platform/ledger-migrator",
		Name: "ledger-migrator", Purpose: "Runs the one-off ledger schema migration (CHG-2231)", Team: "team-billing", Owner: demoAlice.Name,
		Environment: "prod", Permissions: []string{"rds:*", "s3:PutObject"}, Expires: "30d",
	}); err != nil {
		return fmt.Errorf("demo: onboard ledger-migrator: %w", err)
	}
	if _, err := w.Onboarding.ClaimIdentity(as(demoCarol), warden.ClaimInput{
		Identity: serviceAccount("dev-sandbox", "jupyter"), Provider: warden.ProviderKubernetes, Owner: demoCarol.Name, Team: "team-analytics",
		Purpose: "Shared notebook server of the analytics sandbox", Environment: "dev", ReviewInterval: "180d",
	}); err != nil {
		return fmt.Errorf("demo: claim jupyter: %w", err)
	}
	if err := startDemoReview(ctx, w.Reviews); err != nil {
		return err
	}
	if _, err := w.Offboarding.Offboard(as(demoAlice), warden.OffboardInput{Person: demoDave.Name, Grace: "14d"}, "api"); err != nil {
		return fmt.Errorf("demo: offboard dave: %w", err)
	}
	return nil
}

// startDemoReview recertifies the privileged identities (those governance
// rated high-risk or admin): one answered, the others pending. Without a
// privileged identity due there is no campaign to show.
func startDemoReview(ctx context.Context, reviews warden.ReviewService) error {
	campaign, err := reviews.StartReview(warden.NewContextWithActor(ctx, demoAlice), warden.ReviewInput{
		Name: "Q4 privileged recertification", Tier: warden.TierPrivileged, Due: "14d", Grace: "7d", EscalateTo: "security@northwind.example"})
	if warden.ErrorCode(err) == warden.ECONFLICT {
		return nil
	} else if err != nil {
		return fmt.Errorf("demo: start review: %w", err)
	}
	items, _, err := reviews.FindReviewItems(ctx, warden.ReviewItemFilter{CampaignID: campaign.ID, Limit: 1})
	if err != nil {
		return fmt.Errorf("demo: review items: %w", err)
	}
	if len(items) == 0 {
		return nil
	}
	if _, err := reviews.AnswerReview(warden.NewContextWithActor(ctx, demoBob), items[0].ID, warden.ReviewAnswerInput{
		Answer: warden.AnswerKeep, Comment: "still needed: checked with its team"}); err != nil {
		return fmt.Errorf("demo: answer review: %w", err)
	}
	return nil
}
