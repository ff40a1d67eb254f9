package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/warden-nhi/warden"
)

// LoadOwnership records who created two of the demo's unowned identities,
// as CloudTrail creation events would have told it, and runs owner
// suggestions, so that a newcomer finds pending suggestions with their
// evidence (warden owners list, the identity pages): dave created the
// user tmp-migration-2022 and its access key through SSO; alice created
// the role legacy-jenkins-deploy.
func LoadOwnership(ctx context.Context, prov warden.ProvenanceStore, owners warden.OwnerService, now time.Time) error {
	ctx = warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "demo"})
	day := func(n int) time.Time { return now.UTC().Truncate(time.Second).AddDate(0, 0, -n) }
	sso := func(acct, person string) string {
		return "arn:aws:sts::" + acct + ":assumed-role/AWSReservedSSO_AdministratorAccess_3c9e1f0a7b2d4e6f/" + person
	}
	migration, jenkins := userARN(awsProd, "tmp-migration-2022"), roleARN(awsDev, "legacy-jenkins-deploy")
	records := []*warden.Provenance{
		{IdentityExternalID: migration, Creator: "dave@" + Domain, CreatorRef: sso(awsProd, "dave@"+Domain),
			Event: "CreateUser", EventID: "3f6b2a10-9c4d-4e7a-8b51-d2c0e9a41101", Time: day(1105)},
		{IdentityExternalID: migration, CredentialExternalID: "AKIADEMOTMPMIGR00001", Creator: "dave@" + Domain, CreatorRef: sso(awsProd, "dave@"+Domain),
			Event: "CreateAccessKey", EventID: "3f6b2a10-9c4d-4e7a-8b51-d2c0e9a41102", Time: day(1104)},
		{IdentityExternalID: jenkins, Creator: "alice@" + Domain, CreatorRef: sso(awsDev, "alice@"+Domain),
			Event: "CreateRole", EventID: "3f6b2a10-9c4d-4e7a-8b51-d2c0e9a41103", Time: day(1460)},
	}
	for _, r := range records {
		r.Provider, r.Source = warden.ProviderAWS, "cloudtrail"
	}
	if err := prov.RecordProvenance(ctx, records); err != nil {
		return fmt.Errorf("demo: provenance: %w", err)
	}
	for _, ref := range []string{migration, jenkins} {
		if _, err := owners.SuggestOwners(ctx, ref); err != nil {
			return fmt.Errorf("demo: owner suggestions for %s: %w", ref, err)
		}
	}
	return nil
}
