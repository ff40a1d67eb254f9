package offboard_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/enforce"
	"github.com/warden-nhi/warden/offboard"
	"github.com/warden-nhi/warden/store"
	"github.com/warden-nhi/warden/store/storetest"
)

var hr = warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "tok-hr", Name: "hr-sync", Role: warden.RoleOperator})

func dialects() map[string]storetest.Opener {
	return map[string]storetest.Opener{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres}
}

// org is a small inventory: three identities alice owns (written in two
// spellings), one of bob's and one nobody owns; the access keys of two of
// them; and CloudTrail provenance saying alice created a key of bob's
// user and one warden has never seen.
type org struct {
	db                      *store.DB
	clock                   *storetest.Clock
	svc                     *offboard.Service
	exporter, etl, deployer *warden.Identity
	bobs, unowned           *warden.Identity
	exporterKey, bobsKey    *warden.Credential
}

func newOrg(t *testing.T, db *store.DB) *org {
	t.Helper()
	c := storetest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	db.Now = c.Now
	o := &org{db: db, clock: c}
	mk := func(kind warden.IdentityKind, provider warden.Provider, ext, name, owner string) *warden.Identity {
		i := &warden.Identity{Kind: kind, Provider: provider, ExternalID: ext, Name: name, Owner: owner, Environment: "prod", Managed: true}
		if err := db.CreateIdentity(hr, i); err != nil {
			t.Fatal(err)
		}
		return i
	}
	o.exporter = mk(warden.KindCloudUser, warden.ProviderAWS, "arn:aws:iam::111122223333:user/svc/billing-exporter", "billing-exporter", "alice.nguyen@example.com")
	o.etl = mk(warden.KindCloudUser, warden.ProviderAWS, "arn:aws:iam::111122223333:user/svc/ledger-etl", "ledger-etl", "Alice.Nguyen@example.com")
	o.deployer = mk(warden.KindServiceAccount, warden.ProviderKubernetes, "system:serviceaccount:payments:deployer", "deployer", "alice.nguyen@example.com")
	o.bobs = mk(warden.KindCloudUser, warden.ProviderAWS, "arn:aws:iam::111122223333:user/svc/report-mailer", "report-mailer", "bob.tran@example.com")
	o.unowned = mk(warden.KindCloudRole, warden.ProviderAWS, "arn:aws:iam::111122223333:role/legacy-batch", "legacy-batch", "")
	key := func(identity *warden.Identity, id string) *warden.Credential {
		cr := &warden.Credential{IdentityID: identity.ID, Type: warden.CredentialAccessKey, PublicID: id}
		if err := db.CreateCredential(hr, cr); err != nil {
			t.Fatal(err)
		}
		return cr
	}
	o.exporterKey = key(o.exporter, "AKIAEXAMPLEEXPORT001")
	o.bobsKey = key(o.bobs, "AKIAEXAMPLEMAILER001")
	if err := db.RecordProvenance(context.Background(), []*warden.Provenance{
		{Provider: warden.ProviderAWS, IdentityExternalID: o.bobs.ExternalID, CredentialExternalID: "AKIAEXAMPLEMAILER001",
			Creator: "alice.nguyen@example.com", CreatorRef: "arn:aws:iam::111122223333:user/alice.nguyen@example.com",
			Event: "CreateAccessKey", EventID: "6d2a1f0e-1b7c-4a53-9a52-0c1d2e3f4a5b", Source: "cloudtrail", Time: c.Now().Add(-90 * 24 * time.Hour)},
		{Provider: warden.ProviderAWS, IdentityExternalID: "arn:aws:iam::111122223333:user/svc/old-backup", CredentialExternalID: "AKIAEXAMPLEBACKUP001",
			Creator: "alice.nguyen@example.com", Event: "CreateAccessKey", EventID: "0e9f8a7b-6c5d-4e3f-8a1b-2c3d4e5f6a7b", Source: "cloudtrail",
			Time: c.Now().Add(-200 * 24 * time.Hour)},
		{Provider: warden.ProviderAWS, IdentityExternalID: o.etl.ExternalID, Creator: "alice.nguyen@example.com",
			Event: "CreateUser", EventID: "a1b2c3d4-0000-4000-8000-000000000001", Source: "cloudtrail", Time: c.Now().Add(-300 * 24 * time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	actions := enforce.New(enforce.Config{Store: db, Identities: db, Now: c.Now})
	o.svc = offboard.New(offboard.Config{Store: db, Identities: db, Credentials: db, Provenance: db, Actions: actions, Now: c.Now})
	return o
}

func (o *org) identity(t *testing.T, id string) *warden.Identity {
	t.Helper()
	i, err := o.db.FindIdentityByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func (o *org) setMode(t *testing.T, mode warden.EnforcementMode) {
	t.Helper()
	if err := o.db.PutEnforcementSetting(hr, &warden.EnforcementSetting{Control: warden.ControlDisableOffboarded, Scope: warden.ScopeAll, Mode: mode}); err != nil {
		t.Fatal(err)
	}
}

func itemsByIdentity(ob *warden.Offboarding) map[string]warden.OffboardingItem {
	out := map[string]warden.OffboardingItem{}
	for _, it := range ob.Items {
		out[it.IdentityID] = it
	}
	return out
}

// offboardAlice offboards alice with a 14-day grace and checks what is
// flagged and listed; then dana takes over the ETL user before the
// deadline.
func offboardAlice(t *testing.T, o *org) *warden.Offboarding {
	t.Helper()
	res, err := o.svc.Offboard(hr, warden.OffboardInput{Person: "Alice.Nguyen@example.com", DepartedAt: "2026-02-27", Grace: "14d"}, warden.OffboardSourceAPI)
	if err != nil || !res.Created {
		t.Fatalf("offboard = %+v, %v", res, err)
	}
	ob := res.Offboarding
	if want := time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC); !ob.Deadline.Equal(want) {
		t.Fatalf("deadline = %v, want %v", ob.Deadline, want)
	}
	items := itemsByIdentity(ob)
	if len(items) != 3 || items[o.exporter.ID].Status != warden.OffboardItemFlagged || items[o.etl.ID].PreviousOwner != "Alice.Nguyen@example.com" ||
		items[o.deployer.ID].Status != warden.OffboardItemFlagged {
		t.Fatalf("items = %+v, want exporter, etl and deployer flagged", ob.Items)
	}
	for _, i := range []*warden.Identity{o.exporter, o.etl, o.deployer} {
		if got := o.identity(t, i.ID); got.Owner != "" || got.Labels[warden.LabelOffboarding] != ob.ID {
			t.Fatalf("%s after offboarding: owner %q labels %v", i.Name, got.Owner, got.Labels)
		}
	}
	if got := o.identity(t, o.bobs.ID); got.Owner != "bob.tran@example.com" || got.Labels[warden.LabelOffboarding] != "" {
		t.Fatalf("bob's identity changed: %+v", got)
	}
	creds := map[string]warden.RotationCredential{}
	for _, c := range ob.Credentials {
		creds[c.PublicID] = c
	}
	if len(creds) != 3 || len(ob.Credentials) != 3 {
		t.Fatalf("credentials = %+v, want the mailer key and the backup key alice created and the exporter's key", ob.Credentials)
	}
	if c := creds["AKIAEXAMPLEMAILER001"]; c.CredentialID != o.bobsKey.ID || c.IdentityID != o.bobs.ID || c.Reason != warden.RotateCreatedByPerson ||
		c.CreatedBy != "CreateAccessKey by arn:aws:iam::111122223333:user/alice.nguyen@example.com (cloudtrail 6d2a1f0e-1b7c-4a53-9a52-0c1d2e3f4a5b)" {
		t.Fatalf("mailer key = %+v", c)
	}
	if c := creds["AKIAEXAMPLEBACKUP001"]; c.CredentialID != "" || c.Reason != warden.RotateCreatedByPerson {
		t.Fatalf("key warden does not have = %+v", c)
	}
	if c := creds["AKIAEXAMPLEEXPORT001"]; c.CredentialID != o.exporterKey.ID || c.Reason != warden.RotateOwnedIdentity {
		t.Fatalf("exporter key = %+v", c)
	}
	// Listed, not rotated: the credentials are untouched.
	if got, _ := o.db.FindCredentialByID(context.Background(), o.bobsKey.ID); got.Status != warden.CredentialActive || got.LastRotatedAt != nil {
		t.Fatalf("mailer key changed: %+v", got)
	}
	again, err := o.svc.Offboard(hr, warden.OffboardInput{Person: "alice.nguyen@example.com"}, warden.OffboardSourceAPI)
	if err != nil || again.Created || again.Offboarding.ID != ob.ID {
		t.Fatalf("second offboard = %+v, %v; want the open one", again, err)
	}

	o.clock.Advance(3 * 24 * time.Hour)
	dana := "dana.ross@example.com"
	if _, err := o.db.UpdateIdentity(hr, o.etl.ID, warden.IdentityUpdate{Owner: &dana}); err != nil {
		t.Fatal(err)
	}
	// Before the deadline nothing is settled.
	o.clock.Advance(6 * 24 * time.Hour) // 2026-03-11
	if n, err := o.svc.Settle(context.Background()); err != nil || n != 0 {
		t.Fatalf("settle before the deadline = %d, %v", n, err)
	}
	if got := o.identity(t, o.exporter.ID); got.Status != warden.StatusActive {
		t.Fatalf("exporter before the deadline: %s", got.Status)
	}
	o.clock.Advance(2*24*time.Hour + time.Minute) // past 2026-03-13
	if n, err := o.svc.Settle(context.Background()); err != nil || n != 1 {
		t.Fatalf("settle at the deadline = %d, %v", n, err)
	}
	settled, err := o.svc.FindOffboarding(context.Background(), ob.ID)
	if err != nil || settled.Status != warden.OffboardingClosed || settled.ClosedAt == nil {
		t.Fatalf("settled = %+v, %v", settled, err)
	}
	if it := itemsByIdentity(settled)[o.etl.ID]; it.Status != warden.OffboardItemReassigned || it.NewOwner != dana {
		t.Fatalf("etl item = %+v, want reassigned to dana", it)
	}
	if got := o.identity(t, o.etl.ID); got.Status != warden.StatusActive || got.Owner != dana {
		t.Fatalf("reassigned etl = %+v", got)
	}
	if n, err := o.svc.Settle(context.Background()); err != nil || n != 0 {
		t.Fatalf("settle again = %d, %v", n, err)
	}
	return settled
}

func events(t *testing.T, o *org, ob *warden.Offboarding) []*warden.EnforcementEvent {
	t.Helper()
	evs, _, err := o.db.FindEnforcementEvents(context.Background(), warden.EnforcementEventFilter{Control: warden.ControlDisableOffboarded})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Ref != "offboarding:"+ob.ID {
			t.Fatalf("event ref = %q", e.Ref)
		}
	}
	return evs
}

func TestOffboard_EnforceDisablesUnownedAfterGraceKeepsReassigned(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			o := newOrg(t, open(t))
			o.setMode(t, warden.ModeEnforce)
			ob := offboardAlice(t, o)
			items := itemsByIdentity(ob)
			for _, i := range []*warden.Identity{o.exporter, o.deployer} {
				if it := items[i.ID]; it.Status != warden.OffboardItemDisabled || it.EventID == "" {
					t.Fatalf("%s item = %+v, want disabled", i.Name, it)
				}
				if got := o.identity(t, i.ID); got.Status != warden.StatusDisabled {
					t.Fatalf("%s status = %s, want disabled", i.Name, got.Status)
				}
			}
			for _, i := range []*warden.Identity{o.bobs, o.unowned} {
				if got := o.identity(t, i.ID); got.Status != warden.StatusActive {
					t.Fatalf("%s (not alice's) status = %s", i.Name, got.Status)
				}
			}
			evs := events(t, o, ob)
			if len(evs) != 2 || !evs[0].Enforced || !evs[1].Enforced {
				t.Fatalf("events = %+v, want two enforced disables", evs)
			}
			recs, _, _ := o.db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "offboarding", TargetID: ob.ID})
			if len(recs) != 2 || recs[0].Action != "offboarding.create" || recs[1].Action != "offboarding.settle" || recs[1].Actor != "system:offboard-sweep" {
				t.Fatalf("audit = %+v", recs)
			}
		})
	}
}

func TestOffboard_MonitorReportsUnownedAndLeavesThemActive(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			o := newOrg(t, open(t)) // no setting: disable-offboarded runs in monitor mode
			ob := offboardAlice(t, o)
			items := itemsByIdentity(ob)
			for _, i := range []*warden.Identity{o.exporter, o.deployer} {
				if it := items[i.ID]; it.Status != warden.OffboardItemReported || it.EventID == "" {
					t.Fatalf("%s item = %+v, want reported", i.Name, it)
				}
				if got := o.identity(t, i.ID); got.Status != warden.StatusActive || got.Owner != "" {
					t.Fatalf("%s = %s owned by %q, want active and unowned", i.Name, got.Status, got.Owner)
				}
			}
			evs := events(t, o, ob)
			if len(evs) != 2 || evs[0].Enforced || evs[1].Enforced || evs[0].Mode != warden.ModeMonitor {
				t.Fatalf("events = %+v, want two monitor-mode reports", evs)
			}
		})
	}
}

func TestOffboard_ImportCSVListOffboardsEachPersonOnce(t *testing.T) {
	for name, open := range dialects() {
		t.Run(name, func(t *testing.T) {
			o := newOrg(t, open(t))
			f, err := os.Open("testdata/departed-hr-export.csv")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			res, err := o.svc.ImportDeparted(hr, warden.OffboardSourceCSV, f, "30d")
			if err != nil || res.People != 4 || res.Created != 4 || res.Existing != 0 {
				t.Fatalf("import = %+v, %v", res, err)
			}
			alice := res.Results[0].Offboarding
			if alice.Person != "alice.nguyen@example.com" || alice.Source != warden.OffboardSourceCSV || len(alice.Items) != 3 ||
				!alice.Deadline.Equal(time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("alice = %+v", alice)
			}
			// priya's row has no date: she departed now.
			if priya := res.Results[2].Offboarding; !priya.DepartedAt.Equal(o.clock.Now()) || len(priya.Items) != 0 {
				t.Fatalf("priya = %+v", priya)
			}
			// The same list again finds every offboarding open.
			f2, _ := os.Open("testdata/departed-hr-export.csv")
			defer f2.Close()
			res, err = o.svc.ImportDeparted(hr, warden.OffboardSourceCSV, f2, "")
			if err != nil || res.Created != 0 || res.Existing != 4 || res.Results[0].Offboarding.ID != alice.ID {
				t.Fatalf("re-import = %+v, %v", res, err)
			}
		})
	}
}

func TestOffboard_BadListWritesNothing(t *testing.T) {
	o := newOrg(t, storetest.OpenSQLite(t))
	for name, tc := range map[string]struct{ format, body, field string }{
		"bad date late in list": {"csv", "person,departed_at\nalice.nguyen@example.com,2026-02-27\nbob.tran@example.com,next week\n", "departed_at"},
		"future departure":      {"json", `[{"person":"alice.nguyen@example.com"},{"person":"bob.tran@example.com","departed_at":"2027-01-01"}]`, "departed_at"},
		"empty list":            {"json", `[]`, "file"},
	} {
		_, err := o.svc.ImportDeparted(hr, tc.format, stringsReader(tc.body), "")
		if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != tc.field {
			t.Fatalf("%s: err = %v, want EINVALID on %s", name, err, tc.field)
		}
	}
	if _, err := o.svc.Offboard(hr, warden.OffboardInput{Person: "alice.nguyen@example.com", Grace: "2w"}, warden.OffboardSourceAPI); warden.ErrorField(err) != "grace" {
		t.Fatalf("bad grace = %v", err)
	}
	if obs, _, _ := o.svc.FindOffboardings(context.Background(), warden.OffboardingFilter{}); len(obs) != 0 {
		t.Fatalf("offboardings after bad input = %d", len(obs))
	}
	if got := o.identity(t, o.exporter.ID); got.Owner != "alice.nguyen@example.com" {
		t.Fatalf("exporter owner = %q", got.Owner)
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }
