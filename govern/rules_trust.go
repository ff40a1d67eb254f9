package govern

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/warden-nhi/warden"
)

// trusts reports whether g is an allow trust statement.
func trusts(g *warden.Grant) bool {
	return g.Kind == warden.GrantTrust && !strings.EqualFold(g.Effect, "deny")
}

// principalName strips an IAM principal-type prefix ("AWS:", "Federated:").
func principalName(p string) string {
	for _, prefix := range []string{"AWS:", "Federated:", "Service:", "CanonicalUser:"} {
		if strings.HasPrefix(p, prefix) {
			return p[len(prefix):]
		}
	}
	return p
}

// accountOf returns the AWS account id a principal belongs to: a bare
// account id, or the account field of an IAM/STS ARN other than an OIDC or
// SAML provider. "" for anything else.
func accountOf(p string) string {
	p = principalName(p)
	if isAccountID(p) {
		return p
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || (parts[2] != "iam" && parts[2] != "sts") || !isAccountID(parts[4]) {
		return ""
	}
	if strings.HasPrefix(parts[5], "oidc-provider/") || strings.HasPrefix(parts[5], "saml-provider/") {
		return ""
	}
	return parts[4]
}

// oidcHosts are issuers recognised as OIDC federation even without an
// oidc-provider ARN.
var oidcHosts = []string{"token.actions.githubusercontent.com", "accounts.google.com", "app.terraform.io", "gitlab.com", "sts.windows.net"}

// oidcProvider returns the OIDC issuer host a trust principal names, or "".
func oidcProvider(p string) string {
	p = principalName(p)
	if _, host, ok := strings.Cut(p, ":oidc-provider/"); ok {
		return host
	}
	p = strings.TrimPrefix(p, "https://")
	for _, h := range oidcHosts {
		if p == h || strings.HasPrefix(p, h+"/") {
			return p
		}
	}
	return ""
}

// conditionValues returns the values of every condition key for which
// match is true, walking an IAM Condition block ({"Op": {"key": v|[v]}}).
// found reports whether any such key exists.
func conditionValues(raw json.RawMessage, match func(key string) bool) (values []string, found bool) {
	if len(raw) == 0 {
		return nil, false
	}
	var block map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw, &block); err != nil {
		return nil, false
	}
	for _, keys := range block {
		for k, v := range keys {
			if !match(strings.ToLower(k)) {
				continue
			}
			found = true
			var one string
			var many []string
			if json.Unmarshal(v, &one) == nil {
				values = append(values, one)
			} else if json.Unmarshal(v, &many) == nil {
				values = append(values, many...)
			}
		}
	}
	return values, found
}

// broadSubject reports whether a subject pattern admits a whole provider:
// "*", "repo:*", "system:serviceaccount:*". A pattern pinned to an owner or
// namespace ("repo:org/*", "system:serviceaccount:ci:*") is not broad.
func broadSubject(v string) bool {
	prefix, _, wild := strings.Cut(v, "*")
	if !wild {
		return false
	}
	return !strings.Contains(prefix, "/") && strings.Count(prefix, ":") <= 2
}

// ownAccount is the account of the identity itself, from its ARN.
func ownAccount(i *warden.Identity) string { return accountOf(i.ExternalID) }

// checkExternalAccountTrust fires per external account trusted by the
// identity: an account that is neither the identity's own nor known.
func checkExternalAccountTrust(s *Snapshot, e *env) []Hit {
	own := ownAccount(s.Identity)
	var hits []Hit
	for _, g := range s.Grants {
		if !trusts(g) {
			continue
		}
		extID, _ := conditionValues(g.Conditions, func(k string) bool { return k == "sts:externalid" })
		for _, p := range g.Principals {
			acct := accountOf(p)
			if acct == "" || acct == own || slices.Contains(e.cfg.KnownAccounts, acct) {
				continue
			}
			detail := fmt.Sprintf("Account %s (%s) may assume the identity", acct, p)
			if len(extID) == 0 {
				detail += " without an sts:ExternalId condition"
			}
			hits = append(hits, Hit{
				Subject:  acct,
				Detail:   detail + ".",
				Evidence: map[string]any{"account": acct, "principal": p, "via": g.Via, "external_id_condition": len(extID) > 0},
			})
		}
	}
	return hits
}

// checkTrustAnyPrincipal fires when a trust names "*" without conditions.
func checkTrustAnyPrincipal(s *Snapshot, _ *env) []Hit {
	for _, g := range s.Grants {
		if !trusts(g) || !slices.ContainsFunc(g.Principals, func(p string) bool { return principalName(p) == "*" }) {
			continue
		}
		if c := strings.TrimSpace(string(g.Conditions)); c != "" && c != "null" && c != "{}" {
			continue
		}
		return []Hit{{
			Detail:   fmt.Sprintf("The trust policy (%s) lets any principal assume the identity, with no condition.", g.Via),
			Evidence: map[string]any{"via": g.Via, "principals": g.Principals},
		}}
	}
	return nil
}

// checkOIDCTrustNoSubject fires per OIDC provider trusted without a
// subject condition or with a broad wildcard subject.
func checkOIDCTrustNoSubject(s *Snapshot, _ *env) []Hit {
	var hits []Hit
	for _, g := range s.Grants {
		if !trusts(g) {
			continue
		}
		for _, p := range g.Principals {
			host := oidcProvider(p)
			if host == "" {
				continue
			}
			subs, found := conditionValues(g.Conditions, func(k string) bool { return k == "sub" || strings.HasSuffix(k, ":sub") })
			switch {
			case !found:
				hits = append(hits, Hit{
					Subject:  host,
					Detail:   fmt.Sprintf("Any token from %s can assume the identity: the trust has no condition on the subject (sub) claim.", host),
					Evidence: map[string]any{"provider": host, "principal": p, "via": g.Via, "conditions": g.Conditions},
				})
			case len(subs) > 0 && !slices.ContainsFunc(subs, func(v string) bool { return !broadSubject(v) }):
				hits = append(hits, Hit{
					Subject:  host,
					Detail:   fmt.Sprintf("The subject condition %v on %s admits every workload of the provider.", subs, host),
					Evidence: map[string]any{"provider": host, "principal": p, "via": g.Via, "subjects": subs},
				})
			}
		}
	}
	return hits
}

// checkThirdPartyBroadScope fires for an OAuth/GitHub App holding any of
// the configured broad scopes.
func checkThirdPartyBroadScope(s *Snapshot, e *env) []Hit {
	if s.Identity.Kind != warden.KindOAuthApp {
		return nil
	}
	var broad []string
	for _, g := range s.Grants {
		if !allows(g) {
			continue
		}
		for _, a := range g.Actions {
			if slices.ContainsFunc(e.cfg.BroadScopes, func(b string) bool { return strings.EqualFold(a, b) }) && !slices.Contains(broad, a) {
				broad = append(broad, a)
			}
		}
	}
	if len(broad) == 0 {
		return nil
	}
	sort.Strings(broad)
	return []Hit{{
		Detail:   fmt.Sprintf("%s holds broad scopes: %s.", s.Identity.Name, strings.Join(broad, ", ")),
		Evidence: map[string]any{"scopes": broad},
	}}
}
