package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/warden-nhi/warden"
)

func fingerprint(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func TestCredentials_AddListUpdate(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		const arn = "arn:aws:iam::123456789012:user/ci/deployer"
		var user, other warden.Identity
		e.admin(t, "POST", "/v1/identities", map[string]any{"kind": "cloud_user", "provider": "aws", "external_id": arn, "name": "deployer"}, http.StatusCreated, &user)
		e.admin(t, "POST", "/v1/identities", `{"kind":"api_key","provider":"stripe","external_id":"acct_1","name":"billing"}`, http.StatusCreated, &other)
		ref := "/v1/identities/" + url.PathEscape(arn)

		var key1 warden.Credential
		resp := e.admin(t, "POST", ref+"/credentials", map[string]any{
			"type": "access_key", "public_id": "AKIAIOSFODNN7EXAMPLE", "fingerprint": fingerprint("wJalrXUtnFEMI/K7MDENG"),
			"description": "CI key", "expires_at": "2026-06-30T00:00:00Z",
		}, http.StatusCreated, &key1)
		if key1.IdentityID != user.ID || key1.Status != warden.CredentialActive || key1.ExpiresAt == nil {
			t.Fatalf("created %+v", key1)
		}
		if got := resp.Header.Get("Location"); got != "/v1/credentials/"+key1.ID {
			t.Errorf("Location = %q", got)
		}
		for i := range 4 {
			e.admin(t, "POST", ref+"/credentials", map[string]any{"type": "access_key", "public_id": fmt.Sprintf("AKIA%016d", i), "status": "inactive"}, http.StatusCreated, nil)
		}
		e.admin(t, "POST", "/v1/identities/"+other.ID+"/credentials", `{"type":"api_key","public_id":"sk_live_…1234"}`, http.StatusCreated, nil)

		for _, tc := range []struct {
			name, path string
			want       int
		}{
			{"IdentityCredentials", ref + "/credentials", 5},
			{"IdentityCredentialsActive", ref + "/credentials?status=active", 1},
			{"AllCredentials", "/v1/credentials", 6},
			{"ByIdentityID", "/v1/credentials?identity_id=" + other.ID, 1},
			{"ByType", "/v1/credentials?type=api_key", 1},
			{"ByPublicID", "/v1/credentials?public_id=AKIAIOSFODNN7EXAMPLE", 1},
			{"ByFingerprint", "/v1/credentials?fingerprint=" + fingerprint("wJalrXUtnFEMI/K7MDENG"), 1},
			{"ByUnknownFingerprint", "/v1/credentials?fingerprint=" + fingerprint("other"), 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var page listResponse[*warden.Credential]
				e.admin(t, "GET", tc.path, nil, http.StatusOK, &page)
				if len(page.Items) != tc.want {
					t.Errorf("%d items, want %d", len(page.Items), tc.want)
				}
			})
		}

		t.Run("Pagination", func(t *testing.T) {
			seen := map[string]bool{}
			path := ref + "/credentials?limit=2"
			for range 5 {
				var page listResponse[*warden.Credential]
				e.admin(t, "GET", path, nil, http.StatusOK, &page)
				for _, c := range page.Items {
					if seen[c.ID] {
						t.Fatalf("credential %s on two pages", c.ID)
					}
					seen[c.ID] = true
				}
				if page.NextCursor == "" {
					break
				}
				path = ref + "/credentials?limit=2&cursor=" + url.QueryEscape(page.NextCursor)
			}
			if len(seen) != 5 {
				t.Errorf("saw %d credentials over all pages, want 5", len(seen))
			}
		})

		t.Run("Update", func(t *testing.T) {
			var got warden.Credential
			newFP := fingerprint("rotated")
			e.admin(t, "PATCH", "/v1/credentials/"+key1.ID, map[string]any{"fingerprint": newFP, "description": "rotated CI key"}, http.StatusOK, &got)
			if got.Fingerprint != newFP || got.Description != "rotated CI key" || got.LastRotatedAt == nil {
				t.Errorf("after rotation: %+v", got)
			}
			e.admin(t, "PATCH", "/v1/credentials/"+key1.ID, `{"status":"revoked"}`, http.StatusOK, &got)
			if got.Status != warden.CredentialRevoked {
				t.Errorf("status = %s", got.Status)
			}
			e.admin(t, "GET", "/v1/credentials/"+key1.ID, nil, http.StatusOK, &got)
			if got.Status != warden.CredentialRevoked || got.Fingerprint != newFP {
				t.Errorf("reloaded: %+v", got)
			}
		})
	})
}
