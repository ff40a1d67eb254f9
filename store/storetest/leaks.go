package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func sampleLeak(n int) *warden.Leak {
	return &warden.Leak{
		Fingerprint: fingerprint(fmt.Sprint("leaked-secret-", n)), Rule: "aws-access-key-id", Type: warden.CredentialAccessKey,
		Source: "nw/billing", File: "deploy/env.sh", Line: n + 1, Commit: "aa01464c80e4b655a1dc3010d728749b9c0ed8f8",
		Author: "Priya Ops <priya@nw-freight.test>", PublicID: fmt.Sprintf("AKIAFAKE%012d", n), Preview: "AKIA****",
	}
}

func testLeaks(t *testing.T, open Opener) {
	ctx := actorCtx("scanner")
	t.Run("RecordAgainRefreshes", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		owner := mustCreate(t, db, sampleRole("leaky"))
		first := sampleLeak(1)
		if err := db.RecordLeaks(ctx, []*warden.Leak{first, sampleLeak(2)}); err != nil {
			t.Fatal(err)
		}
		if first.ID == "" || first.SeenCount != 1 || !first.FirstSeenAt.Equal(c.t.Truncate(time.Microsecond)) {
			t.Fatalf("recorded leak = %+v", first)
		}
		c.advance(time.Hour)
		again := sampleLeak(1)
		again.IdentityID, again.CredentialID, again.MatchedBy = owner.ID, "cred-1", warden.MatchPublicID
		if err := db.RecordLeaks(ctx, []*warden.Leak{again}); err != nil {
			t.Fatal(err)
		}
		if again.ID != first.ID || again.SeenCount != 2 || !again.FirstSeenAt.Equal(first.FirstSeenAt) || !again.LastSeenAt.After(first.LastSeenAt) {
			t.Fatalf("re-recorded leak = %+v, first %+v", again, first)
		}
		// Seen again without correlation: the stored correlation stays.
		c.advance(time.Hour)
		third := sampleLeak(1)
		if err := db.RecordLeaks(ctx, []*warden.Leak{third}); err != nil {
			t.Fatal(err)
		}
		if third.IdentityID != owner.ID || third.SeenCount != 3 {
			t.Fatalf("correlation lost: %+v", third)
		}
		got, _, err := db.FindLeaks(context.Background(), warden.LeakFilter{IdentityID: owner.ID})
		if err != nil || len(got) != 1 || got[0].ID != first.ID || got[0].MatchedBy != warden.MatchPublicID || got[0].Line != 2 ||
			got[0].Commit != first.Commit || got[0].PublicID != first.PublicID || got[0].Type != warden.CredentialAccessKey {
			t.Fatalf("find by identity = %+v, %v", got, err)
		}
		recs, _, err := db.FindAuditRecords(context.Background(), warden.AuditFilter{TargetType: "leak"})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, r := range recs {
			actions = append(actions, r.Action)
		}
		if strings.Join(actions, ",") != "leak.record,leak.record,leak.correlate,leak.seen" {
			t.Fatalf("audit actions = %v", actions)
		}
	})
	t.Run("FilterAndPage", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		owner := mustCreate(t, db, sampleRole("paged"))
		for n := 0; n < 7; n++ {
			c.advance(time.Minute)
			l := sampleLeak(n)
			if n%2 == 0 {
				l.IdentityID = owner.ID
			}
			if n == 6 {
				l.Rule = "jwt"
			}
			if err := db.RecordLeaks(ctx, []*warden.Leak{l}); err != nil {
				t.Fatal(err)
			}
		}
		var all []*warden.Leak
		f := warden.LeakFilter{Limit: 3}
		for {
			page, next, err := db.FindLeaks(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, page...)
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if len(all) != 7 || all[0].Line != 7 || all[6].Line != 1 {
			t.Fatalf("paged %d leaks, newest first wanted", len(all))
		}
		yes, no := true, false
		for name, tc := range map[string]struct {
			f    warden.LeakFilter
			want int
		}{
			"Correlated":   {warden.LeakFilter{Correlated: &yes}, 4},
			"Uncorrelated": {warden.LeakFilter{Correlated: &no}, 3},
			"Rule":         {warden.LeakFilter{Rule: "jwt"}, 1},
			"Fingerprint":  {warden.LeakFilter{Fingerprint: sampleLeak(3).Fingerprint}, 1},
			"Source":       {warden.LeakFilter{Source: "elsewhere"}, 0},
		} {
			t.Run(name, func(t *testing.T) {
				got, _, err := db.FindLeaks(context.Background(), tc.f)
				if err != nil || len(got) != tc.want {
					t.Fatalf("%d leaks, %v; want %d", len(got), err, tc.want)
				}
			})
		}
	})
	t.Run("Errors", func(t *testing.T) {
		db := open(t)
		for name, tc := range map[string]struct {
			mod   func(*warden.Leak)
			field string
		}{
			"NoFingerprint":  {func(l *warden.Leak) { l.Fingerprint = "" }, "leaks[1].fingerprint"},
			"BadFingerprint": {func(l *warden.Leak) { l.Fingerprint = "AKIAFAKE" }, "leaks[1].fingerprint"},
			"BadRule":        {func(l *warden.Leak) { l.Rule = "Not A Rule" }, "leaks[1].rule"},
			"BadCommit":      {func(l *warden.Leak) { l.Commit = "HEAD~1" }, "leaks[1].commit"},
			"NegativeLine":   {func(l *warden.Leak) { l.Line = -1 }, "leaks[1].line"},
			"BadType":        {func(l *warden.Leak) { l.Type = "nuclear_codes" }, "leaks[1].type"},
			"ControlChar":    {func(l *warden.Leak) { l.File = "a\x00b" }, "leaks[1].file"},
		} {
			t.Run(name, func(t *testing.T) {
				bad := sampleLeak(2)
				tc.mod(bad)
				err := db.RecordLeaks(ctx, []*warden.Leak{sampleLeak(1), bad})
				wantCode(t, err, warden.EINVALID)
				if got := warden.ErrorField(err); got != tc.field {
					t.Fatalf("field = %q, want %q", got, tc.field)
				}
			})
		}
		// Nothing of a rejected batch is stored.
		got, _, err := db.FindLeaks(context.Background(), warden.LeakFilter{})
		if err != nil || len(got) != 0 {
			t.Fatalf("after rejected batches: %d leaks, %v", len(got), err)
		}
		_, _, err = db.FindLeaks(context.Background(), warden.LeakFilter{Cursor: "garbage"})
		wantCode(t, err, warden.EINVALID)
	})
}
