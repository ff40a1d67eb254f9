package warden_test

import (
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestCredentialValidate(t *testing.T) {
	fp := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name  string
		cred  warden.Credential
		field string
	}{
		{"OKPublicID", warden.Credential{Type: warden.CredentialAccessKey, PublicID: "AKIAEXAMPLE"}, ""},
		{"OKFingerprint", warden.Credential{Type: warden.CredentialToken, Fingerprint: fp}, ""},
		{"ErrType", warden.Credential{Type: "cookie", PublicID: "x"}, "type"},
		{"ErrNeither", warden.Credential{Type: warden.CredentialToken}, "public_id"},
		{"ErrFingerprintShort", warden.Credential{Type: warden.CredentialToken, Fingerprint: "abcd"}, "fingerprint"},
		{"ErrFingerprintNotHex", warden.Credential{Type: warden.CredentialToken, Fingerprint: strings.Repeat("zz", 32)}, "fingerprint"},
		{"ErrFingerprintUpper", warden.Credential{Type: warden.CredentialToken, Fingerprint: strings.ToUpper(fp)}, "fingerprint"},
		{"ErrStatus", warden.Credential{Type: warden.CredentialToken, PublicID: "x", Status: "lost"}, "status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cred.Validate()
			if tc.field == "" {
				if err != nil || tc.cred.Status != warden.CredentialActive {
					t.Fatalf("got %v, status %q", err, tc.cred.Status)
				}
				return
			}
			if warden.ErrorField(err) != tc.field {
				t.Fatalf("got %v, want error on %q", err, tc.field)
			}
		})
	}
	if err := (&warden.CredentialUpdate{Fingerprint: ptr("")}).Validate(); warden.ErrorField(err) != "fingerprint" {
		t.Fatalf("clearing a fingerprint: %v", err)
	}
}
