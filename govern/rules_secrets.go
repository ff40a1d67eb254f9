package govern

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// rotatable are the credential types with a secret someone must rotate.
var rotatable = []warden.CredentialType{
	warden.CredentialAccessKey, warden.CredentialAPIKey, warden.CredentialClientSecret,
	warden.CredentialSSHKey, warden.CredentialToken, warden.CredentialPrivateKey,
}

// checkCredentialOld fires per active secret whose current value is older
// than max_age_days (since its last rotation, or its creation when it was
// never rotated).
func checkCredentialOld(s *Snapshot, e *env) []Hit {
	limit := e.days("max_age_days")
	var hits []Hit
	for _, c := range s.Credentials {
		if c.Status != warden.CredentialActive || !slices.Contains(rotatable, c.Type) {
			continue
		}
		born := issued(c)
		age := s.Now.Sub(born)
		if age <= limit {
			continue
		}
		what := "last rotated"
		if c.LastRotatedAt == nil {
			what = "never rotated; created"
		}
		hits = append(hits, Hit{
			Subject: c.ID,
			Detail:  fmt.Sprintf("%s %s is %d days old (%s %s); the limit is %d days.", c.Type, label(c), daysOf(age), what, born.Format(time.DateOnly), int(e.param("max_age_days"))),
			Evidence: map[string]any{
				"credential_id": c.ID, "public_id": c.PublicID, "type": c.Type,
				"age_days": daysOf(age), "last_rotated_at": c.LastRotatedAt, "max_age_days": e.param("max_age_days"),
			},
		})
	}
	return hits
}

// bearer are the credential types that are bearer tokens, which should
// expire on their own.
var bearer = []warden.CredentialType{warden.CredentialToken, warden.CredentialAPIKey, warden.CredentialClientSecret}

// checkTokenNoExpiry fires per active token, API key or client secret with
// no expiry, or valid for more than max_lifetime_days from its issue.
func checkTokenNoExpiry(s *Snapshot, e *env) []Hit {
	limit := e.days("max_lifetime_days")
	var hits []Hit
	for _, c := range s.Credentials {
		if c.Status != warden.CredentialActive || !slices.Contains(bearer, c.Type) {
			continue
		}
		if c.ExpiresAt == nil {
			hits = append(hits, Hit{
				Subject:  c.ID,
				Detail:   fmt.Sprintf("%s %s never expires.", c.Type, label(c)),
				Evidence: map[string]any{"credential_id": c.ID, "public_id": c.PublicID, "type": c.Type, "expires_at": nil},
			})
			continue
		}
		if life := c.ExpiresAt.Sub(issued(c)); life > limit {
			hits = append(hits, Hit{
				Subject:  c.ID,
				Detail:   fmt.Sprintf("%s %s is valid for %d days (until %s); the limit is %d days.", c.Type, label(c), daysOf(life), c.ExpiresAt.Format(time.DateOnly), int(e.param("max_lifetime_days"))),
				Evidence: map[string]any{"credential_id": c.ID, "public_id": c.PublicID, "type": c.Type, "expires_at": c.ExpiresAt, "lifetime_days": daysOf(life)},
			})
		}
	}
	return hits
}

// slotPlaceholder reports whether c stands for a key slot of its identity
// rather than a known key: its public id is "<identity external id>#slot",
// as the IAM credential report importer records keys whose ids the report
// does not show. The same key may then also be recorded under its real id
// (seen in CloudTrail), so slots and real ids are not added up.
func slotPlaceholder(i *warden.Identity, c *warden.Credential) bool {
	return strings.HasPrefix(c.PublicID, i.ExternalID+"#")
}

// checkMultipleActiveKeys fires per credential type of which the identity
// has more than max_active active credentials (passwords and certificates
// excluded). Slot placeholders and real key ids may describe the same keys,
// so the count is the larger of the two, never their sum.
func checkMultipleActiveKeys(s *Snapshot, e *env) []Hit {
	max := int(e.param("max_active"))
	byType := map[warden.CredentialType][]string{}
	slots := map[warden.CredentialType]int{}
	for _, c := range s.Credentials {
		if activeSecret(c) && c.Type != warden.CredentialPassword {
			byType[c.Type] = append(byType[c.Type], label(c))
			if slotPlaceholder(s.Identity, c) {
				slots[c.Type]++
			}
		}
	}
	var hits []Hit
	for t, keys := range byType {
		if n := len(keys); n-slots[t] <= max && slots[t] <= max {
			continue
		}
		sort.Strings(keys)
		hits = append(hits, Hit{
			Subject:  string(t),
			Detail:   fmt.Sprintf("%d active %s credentials (%v); at most %d allowed.", len(keys), t, keys, max),
			Evidence: map[string]any{"type": t, "active": keys, "max_active": max},
		})
	}
	return hits
}
