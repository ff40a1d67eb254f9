package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func testCredentials(t *testing.T, open Opener) {
	ctx := actorCtx("operator")
	t.Run("CreateListUpdate", func(t *testing.T) {
		db := open(t)
		c := newClock()
		db.Now = c.now
		owner := mustCreate(t, db, sampleRole("keys"))
		other := mustCreate(t, db, sampleRole("other"))
		var made []*warden.Credential
		for n := 0; n < 7; n++ {
			c.advance(time.Second)
			cred := &warden.Credential{IdentityID: owner.ID, Type: warden.CredentialAccessKey, PublicID: fmt.Sprintf("AKIAEXAMPLE%09d", n), Fingerprint: fingerprint(fmt.Sprint("s", n))}
			if err := db.CreateCredential(ctx, cred); err != nil {
				t.Fatal(err)
			}
			made = append(made, cred)
		}
		if err := db.CreateCredential(ctx, &warden.Credential{IdentityID: other.ID, Type: warden.CredentialAPIKey, PublicID: "dd-key"}); err != nil {
			t.Fatal(err)
		}
		var got []*warden.Credential
		f := warden.CredentialFilter{IdentityID: owner.ID, Limit: 3}
		for {
			page, next, err := db.FindCredentials(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if len(got) != 7 || got[0].ID != made[0].ID || got[6].ID != made[6].ID {
			t.Fatalf("listed %d credentials in wrong order", len(got))
		}
		byFP, _, err := db.FindCredentials(context.Background(), warden.CredentialFilter{Fingerprint: fingerprint("s3")})
		if err != nil || len(byFP) != 1 || byFP[0].PublicID != "AKIAEXAMPLE000000003" {
			t.Fatalf("find by fingerprint: %v, %v", byFP, err)
		}
		c.advance(time.Hour)
		upd, err := db.UpdateCredential(ctx, made[0].ID, warden.CredentialUpdate{Fingerprint: ptr(fingerprint("rotated")), Status: ptr(warden.CredentialInactive)})
		if err != nil {
			t.Fatal(err)
		}
		if upd.LastRotatedAt == nil || !upd.LastRotatedAt.Equal(c.t.Truncate(time.Microsecond)) || upd.Status != warden.CredentialInactive {
			t.Fatalf("rotation not recorded: %+v", upd)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		db := open(t)
		owner := mustCreate(t, db, sampleRole("keys"))
		base := &warden.Credential{IdentityID: owner.ID, Type: warden.CredentialAccessKey, PublicID: "AKIADUP", Fingerprint: fingerprint("dup")}
		if err := db.CreateCredential(ctx, base); err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			cred *warden.Credential
			code string
		}{
			"DuplicatePublicID":    {&warden.Credential{IdentityID: owner.ID, Type: warden.CredentialAccessKey, PublicID: "AKIADUP"}, warden.ECONFLICT},
			"DuplicateFingerprint": {&warden.Credential{IdentityID: owner.ID, Type: warden.CredentialAPIKey, Fingerprint: fingerprint("dup")}, warden.ECONFLICT},
			"UnknownIdentity":      {&warden.Credential{IdentityID: "nope", Type: warden.CredentialAPIKey, PublicID: "x"}, warden.ENOTFOUND},
			"BadType":              {&warden.Credential{IdentityID: owner.ID, Type: "magic", PublicID: "x"}, warden.EINVALID},
			"BadFingerprint":       {&warden.Credential{IdentityID: owner.ID, Type: warden.CredentialAPIKey, Fingerprint: "abc"}, warden.EINVALID},
			"UpperFingerprint":     {&warden.Credential{IdentityID: owner.ID, Type: warden.CredentialAPIKey, Fingerprint: strings.Repeat("AB", 32)}, warden.EINVALID},
			"NeitherIDNorFP":       {&warden.Credential{IdentityID: owner.ID, Type: warden.CredentialAPIKey}, warden.EINVALID},
		} {
			t.Run(name, func(t *testing.T) { wantCode(t, db.CreateCredential(ctx, tc.cred), tc.code) })
		}
		_, err := db.UpdateCredential(ctx, "nope", warden.CredentialUpdate{Status: ptr(warden.CredentialRevoked)})
		wantCode(t, err, warden.ENOTFOUND)
		_, _, err = db.FindCredentials(context.Background(), warden.CredentialFilter{Cursor: "%%%"})
		wantCode(t, err, warden.EINVALID)
	})
}
