package issuer

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func TestIntrospect_RevokedCredentialInactiveImmediately(t *testing.T) {
	e := newEnv(t)
	c := e.workload(t, "billing")
	for name, revoke := range map[string]func(id string) warden.Revocation{
		"ByCredential": func(id string) warden.Revocation { return warden.Revocation{CredentialID: id} },
		"ByIdentity":   func(string) warden.Revocation { return warden.Revocation{IdentityID: c.Identity.ID} },
		"ByEntry":      func(string) warden.Revocation { return warden.Revocation{EntryID: c.Entry.ID} },
	} {
		t.Run(name, func(t *testing.T) {
			tok := ccToken(t, e, c, "")
			in, err := e.is.Introspect(e.ctx, tok)
			if err != nil || !in.Active || in.Sub != c.SPIFFEID {
				t.Fatalf("before revocation: %+v, %v", in, err)
			}
			if _, err := e.db.RevokeIssued(e.ctx, revoke(in.Jti)); err != nil {
				t.Fatal(err)
			}
			in, err = e.is.Introspect(e.ctx, tok)
			if err != nil || in.Active || in.Sub != "" {
				t.Fatalf("after revocation: %+v, %v", in, err)
			}
			if r, _ := e.is.IsRevoked(e.ctx, in.Jti); in.Jti != "" && !r {
				t.Fatal("RevocationChecker disagrees")
			}
		})
	}
	t.Run("RFC7009ByClient", func(t *testing.T) {
		tok := ccToken(t, e, c, "")
		other := e.workload(t, "ledger")
		wantOAuth(t, e.is.RevokeToken(e.ctx, other, tok), "unauthorized_client")
		if err := e.is.RevokeToken(e.ctx, c, tok); err != nil {
			t.Fatal(err)
		}
		if in, _ := e.is.Introspect(e.ctx, tok); in.Active {
			t.Fatal("token active after RFC 7009 revocation")
		}
		if err := e.is.RevokeToken(e.ctx, c, "garbage"); err != nil {
			t.Fatalf("invalid token must not be an error (RFC 7009 §2.2): %v", err)
		}
	})
	t.Run("CRLListsRevokedSVID", func(t *testing.T) {
		s, _ := e.svid(t, e.workload(t, "crl-check"))
		if _, err := e.db.RevokeIssued(e.ctx, warden.Revocation{CredentialID: serialID(s.Chain[0])}); err != nil {
			t.Fatal(err)
		}
		der, err := e.is.CRL(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil || crl.CheckSignatureFrom(e.is.keys.Load().caCurrent.cert) != nil {
			t.Fatalf("CRL: %v", err)
		}
		found := false
		for _, r := range crl.RevokedCertificateEntries {
			found = found || r.SerialNumber.Cmp(s.Chain[0].SerialNumber) == 0
		}
		if !found {
			t.Fatal("revoked SVID missing from the CRL")
		}
	})
}

func TestQuarantinedIdentity_CannotObtainOrRenew(t *testing.T) {
	e := newEnv(t)
	c := e.workload(t, "billing")
	s, key := e.svid(t, c)
	tok := ccToken(t, e, c, "")
	for _, status := range []warden.Status{warden.StatusQuarantined, warden.StatusDisabled} {
		t.Run(string(status), func(t *testing.T) {
			_, secret, err := e.db.CreateJoinToken(e.ctx, c.Entry.ID, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			e.setStatus(t, c.Identity.ID, status)
			defer e.setStatus(t, c.Identity.ID, warden.StatusActive)
			if _, err := e.is.Authenticate(e.ctx, Evidence{JoinToken: secret}); warden.ErrorCode(err) != warden.EFORBIDDEN {
				t.Fatalf("obtain with a join token: %v", err)
			}
			if _, err := e.is.Authenticate(e.ctx, Evidence{PeerCerts: s.Chain}); warden.ErrorCode(err) != warden.EFORBIDDEN {
				t.Fatalf("renew over mTLS: %v", err)
			}
			a := assertion(t, s, key, e.is.TokenEndpoint(), nil)
			if _, err := e.is.Authenticate(e.ctx, Evidence{Assertion: a, Audience: e.is.TokenEndpoint()}); warden.ErrorCode(err) != warden.EFORBIDDEN {
				t.Fatalf("renew with a client assertion: %v", err)
			}
			if _, err := e.is.VerifyToken(e.ctx, tok, ""); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
				t.Fatalf("token of a %s identity still verifies: %v", status, err)
			}
			if in, _ := e.is.Introspect(e.ctx, tok); in.Active {
				t.Fatalf("token of a %s identity active at introspection", status)
			}
		})
	}
	t.Run("RenewWorksWhenActive", func(t *testing.T) {
		got, err := e.is.Authenticate(e.ctx, Evidence{PeerCerts: s.Chain})
		if err != nil || got.SPIFFEID != c.SPIFFEID {
			t.Fatalf("renewal over mTLS: %+v, %v", got, err)
		}
	})
}

func TestKeysAtRest_NoPlaintextPrivateKeyInDatabase(t *testing.T) {
	e := newEnv(t)
	set := e.is.keys.Load()
	var secrets [][]byte
	for _, k := range append(append([]*signingKey{}, set.jwt...), set.ca...) {
		der, err := x509.MarshalPKCS8PrivateKey(k.signer)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, der, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	rows, err := e.db.SQL().Query("SELECT id, public_key, certificate, private_sealed FROM issuer_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, pub, cert string
		var sealed []byte
		if err := rows.Scan(&id, &pub, &cert, &sealed); err != nil {
			t.Fatal(err)
		}
		n++
		row := bytes.Join([][]byte{[]byte(pub), []byte(cert), sealed}, nil)
		if bytes.Contains(row, []byte("PRIVATE KEY")) {
			t.Errorf("key %s: a PEM private key is stored", id)
		}
		for _, s := range secrets {
			if bytes.Contains(row, s) || bytes.Contains(row, s[len(s)/2:len(s)/2+16]) {
				t.Errorf("key %s: private key material found in plaintext", id)
			}
		}
		other, _ := GenerateKEK()
		if _, err := other.Open(sealed, id); err == nil {
			t.Errorf("key %s opens under another KEK", id)
		}
		if _, err := e.kek.Open(sealed, "another-id"); err == nil {
			t.Errorf("key %s opens when moved to another row", id)
		}
	}
	if n != 4 {
		t.Fatalf("%d keys stored, want current and next for JWT and CA", n)
	}
	t.Run("WrongKEKRefusesToStart", func(t *testing.T) {
		other, _ := GenerateKEK()
		_, err := New(e.ctx, Config{TrustDomain: "example.org", IssuerURL: e.srv.URL, Store: e.db, Identities: e.db, KEK: other})
		if err == nil {
			t.Fatal("issuer started with the wrong KEK")
		}
	})
}

func TestRotate_PublishesNextAndPreviousAndOldTokensStillVerify(t *testing.T) {
	e := newEnv(t)
	c := e.workload(t, "billing")
	before, err := e.is.IssueJWTSVID(e.ctx, c, []string{"https://api.example.org"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	old := e.is.keys.Load()
	if err := e.is.Rotate(e.ctx, warden.KeyPurposeJWT); err != nil {
		t.Fatal(err)
	}
	now := e.is.keys.Load()
	if len(now.jwt) != 3 || now.jwtCurrent.id == old.jwtCurrent.id {
		t.Fatalf("after rotation: %d published, current %s (was %s)", len(now.jwt), now.jwtCurrent.id, old.jwtCurrent.id)
	}
	if _, err := e.is.VerifyToken(e.ctx, before.Raw, ""); err != nil {
		t.Fatalf("token signed by the previous key refused: %v", err)
	}
	states := map[string]string{}
	for _, k := range now.jwt {
		states[k.state] = k.id
	}
	if states[warden.KeyPrevious] != old.jwtCurrent.id || states[warden.KeyCurrent] == "" || states[warden.KeyNext] == "" {
		t.Fatalf("states %v", states)
	}
	// Two more rotations retire the first key: its tokens stop verifying.
	for range 2 {
		if err := e.is.Rotate(e.ctx, warden.KeyPurposeJWT); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.is.VerifyToken(e.ctx, before.Raw, ""); warden.ErrorCode(err) != warden.EUNAUTHORIZED {
		t.Fatalf("token of a retired key still verifies: %v", err)
	}
	t.Run("CA", func(t *testing.T) {
		s, _ := e.svid(t, c)
		if err := e.is.Rotate(e.ctx, warden.KeyPurposeX509); err != nil {
			t.Fatal(err)
		}
		if len(e.is.BundleCertificates()) != 3 {
			t.Fatalf("bundle has %d CAs, want next, current and previous", len(e.is.BundleCertificates()))
		}
		if _, err := e.is.Authenticate(e.ctx, Evidence{PeerCerts: s.Chain}); err != nil {
			t.Fatalf("SVID of the previous CA refused after rotation: %v", err)
		}
	})
	t.Run("MaybeRotateHonoursLifetime", func(t *testing.T) {
		clock := time.Now()
		e.is.now = func() time.Time { return clock }
		id := e.is.keys.Load().jwtCurrent.id
		if err := e.is.MaybeRotate(e.ctx); err != nil || e.is.keys.Load().jwtCurrent.id != id {
			t.Fatalf("rotated early: %v", err)
		}
		clock = clock.Add(DefaultJWTKeyLifetime + time.Minute)
		if err := e.is.MaybeRotate(e.ctx); err != nil || e.is.keys.Load().jwtCurrent.id == id {
			t.Fatalf("did not rotate after the lifetime: %v", err)
		}
	})
}
