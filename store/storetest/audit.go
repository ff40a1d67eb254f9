package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store"
)

func testAudit(t *testing.T, open Opener) {
	db := open(t)
	ctx := actorCtx("alice")
	i := mustCreate(t, db, sampleRole("audited"))
	if _, err := db.UpdateIdentity(ctx, i.ID, warden.IdentityUpdate{Owner: ptr("team-new")}); err != nil {
		t.Fatal(err)
	}
	// A no-op update changes nothing and records nothing.
	if _, err := db.UpdateIdentity(ctx, i.ID, warden.IdentityUpdate{Owner: ptr("team-new")}); err != nil {
		t.Fatal(err)
	}
	// A failed change records nothing either.
	_ = db.CreateIdentity(ctx, sampleRole("audited"))

	recs, next, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetID: i.ID})
	if err != nil || next != "" {
		t.Fatal(err, next)
	}
	if len(recs) != 2 || recs[0].Action != "identity.create" || recs[1].Action != "identity.update" {
		t.Fatalf("audit records: %+v", recs)
	}
	upd := recs[1]
	if upd.Actor != "token:tok-alice(alice)" {
		t.Fatalf("actor = %q", upd.Actor)
	}
	var before, after warden.Identity
	if err := json.Unmarshal(upd.Before, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(upd.After, &after); err != nil {
		t.Fatal(err)
	}
	if before.Owner != "team-payments" || after.Owner != "team-new" {
		t.Fatalf("before/after owner: %q -> %q", before.Owner, after.Owner)
	}
	if upd.PrevHash != recs[0].Hash {
		t.Fatal("records are not chained")
	}
	// Pagination walks the log in order.
	for n := 0; n < 5; n++ {
		if _, err := db.UpdateIdentity(ctx, i.ID, warden.IdentityUpdate{Purpose: ptr(strings.Repeat("p", n+1))}); err != nil {
			t.Fatal(err)
		}
	}
	var seqs []int64
	f := warden.AuditFilter{Limit: 2}
	for {
		page, next, err := db.FindAuditRecords(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			seqs = append(seqs, r.Seq)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	for n, s := range seqs {
		if s != int64(n+1) {
			t.Fatalf("audit pages: seqs %v", seqs)
		}
	}
	// Newest first walks the same records backwards.
	var newest []int64
	f = warden.AuditFilter{Limit: 2, Newest: true}
	for {
		page, next, err := db.FindAuditRecords(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			newest = append(newest, r.Seq)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if len(newest) != len(seqs) || newest[0] != seqs[len(seqs)-1] || newest[len(newest)-1] != 1 {
		t.Fatalf("newest-first pages: seqs %v", newest)
	}
	latest, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetID: i.ID, Newest: true, Limit: 1})
	if err != nil || len(latest) != 1 || latest[0].Action != "identity.update" || latest[0].Seq != seqs[len(seqs)-1] {
		t.Fatalf("latest change of the identity: %+v, %v", latest, err)
	}
	res, err := db.VerifyAudit(context.Background())
	if err != nil || !res.OK || res.Records != 7 || res.HeadSeq != 7 {
		t.Fatalf("verify: %+v, %v", res, err)
	}
	_, _, err = db.FindAuditRecords(context.Background(), warden.AuditFilter{Cursor: "abc"})
	wantCode(t, err, warden.EINVALID)
}

// testAuditTampering edits and deletes rows behind warden's back, with SQL,
// and checks that VerifyAudit names the first bad record.
func testAuditTampering(t *testing.T, open Opener) {
	seed := func(t *testing.T) *store.DB {
		db := open(t)
		i := mustCreate(t, db, sampleRole("tamper"))
		for _, owner := range []string{"a", "b", "c", "d"} {
			if _, err := db.UpdateIdentity(actorCtx("ops"), i.ID, warden.IdentityUpdate{Owner: ptr(owner)}); err != nil {
				t.Fatal(err)
			}
		}
		return db // 5 records
	}
	for _, tc := range []struct {
		name    string
		sql     string
		badSeq  int64
		problem string
	}{
		{"EditedAfter", `UPDATE audit_log SET after = REPLACE(after, '"owner":"b"', '"owner":"mallory"') WHERE seq = 3`, 3, "edited"},
		{"EditedActor", `UPDATE audit_log SET actor = 'system' WHERE seq = 2`, 2, "edited"},
		{"EditedTime", `UPDATE audit_log SET time = time + 1 WHERE seq = 4`, 4, "edited"},
		{"RehashedButUnchained", `UPDATE audit_log SET hash = '` + strings.Repeat("a", 64) + `' WHERE seq = 2`, 2, "edited"},
		{"DeletedMiddle", `DELETE FROM audit_log WHERE seq = 3`, 4, "deleted"},
		{"DeletedFirst", `DELETE FROM audit_log WHERE seq = 1`, 2, "deleted"},
		{"DeletedLast", `DELETE FROM audit_log WHERE seq = 5`, 5, "deleted"},
		{"DeletedAll", `DELETE FROM audit_log`, 1, "deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := seed(t)
			if res, _ := db.VerifyAudit(context.Background()); !res.OK {
				t.Fatalf("chain broken before tampering: %+v", res)
			}
			if _, err := db.SQL().Exec(tc.sql); err != nil {
				t.Fatal(err)
			}
			res, err := db.VerifyAudit(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.OK || res.BadSeq != tc.badSeq || !strings.Contains(res.Problem, tc.problem) {
				t.Fatalf("verify after %s: %+v, want bad seq %d mentioning %q", tc.name, res, tc.badSeq, tc.problem)
			}
		})
	}
}
