package govern

import (
	"fmt"
	"sort"
	"strings"

	"github.com/warden-nhi/warden"
)

// labelValue returns the first label whose normalised key (lower case, '-'
// as '_', without any "prefix." or "prefix/" part) is one of names.
func labelValue(i *warden.Identity, names ...string) string {
	keys := make([]string, 0, len(i.Labels))
	for k := range i.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, want := range names {
		for _, k := range keys {
			n := strings.ToLower(strings.ReplaceAll(k, "-", "_"))
			if idx := strings.LastIndexAny(n, "./"); idx >= 0 {
				n = n[idx+1:]
			}
			if n == want {
				return i.Labels[k]
			}
		}
	}
	return ""
}

// checkConsoleAccess fires when the identity has an active password
// credential or a label saying its console password is enabled.
func checkConsoleAccess(s *Snapshot, _ *env) []Hit {
	for _, c := range s.Credentials {
		if c.Type == warden.CredentialPassword && c.Status == warden.CredentialActive {
			return []Hit{{
				Detail:   "The identity has an active console password.",
				Evidence: map[string]any{"credential_id": c.ID, "last_used_at": c.LastUsedAt},
			}}
		}
	}
	if v := labelValue(s.Identity, "password_enabled", "console_password", "console_access", "login_profile"); strings.EqualFold(v, "true") {
		return []Hit{{
			Detail:   "The identity has a console password (login profile).",
			Evidence: map[string]any{"password_enabled": true},
		}}
	}
	return nil
}

// checkInteractiveUse fires when activity in the window was interactive.
func checkInteractiveUse(s *Snapshot, _ *env) []Hit {
	if s.Activity.Interactive == 0 {
		return nil
	}
	return []Hit{{
		Detail:   fmt.Sprintf("%d interactive events (%s) in the activity window.", s.Activity.Interactive, strings.Join(s.Activity.InteractiveActions, ", ")),
		Evidence: map[string]any{"interactive_events": s.Activity.Interactive, "actions": s.Activity.InteractiveActions},
	}}
}

// checkReuse fires when the identity was used from more distinct source
// networks than max_sources or more distinct workloads than max_workloads.
func checkReuse(s *Snapshot, e *env) []Hit {
	maxSrc, maxWl := int(e.param("max_sources")), int(e.param("max_workloads"))
	src, wl := len(s.Activity.Sources), len(s.Activity.Workloads)
	if src <= maxSrc && wl <= maxWl {
		return nil
	}
	return []Hit{{
		Detail: fmt.Sprintf("Used from %d distinct source networks (limit %d) and %d distinct workloads (limit %d) in the activity window.", src, maxSrc, wl, maxWl),
		Evidence: map[string]any{
			"sources": sample(s.Activity.Sources), "workloads": sample(s.Activity.Workloads),
			"source_count": src, "workload_count": wl, "max_sources": maxSrc, "max_workloads": maxWl,
		},
	}}
}

func sample(list []string) []string {
	if len(list) > maxEvidenceItems {
		return list[:maxEvidenceItems]
	}
	return list
}

// checkEnvMixing fires when the identity touches both production and
// non-production: by its own environment or account, the resources and
// scopes of its permissions, the accounts that may assume it, and the
// resources it acted on.
func checkEnvMixing(s *Snapshot, e *env) []Hit {
	seen := map[string][]string{} // class -> where
	note := func(class, where string) {
		if class != "" && len(seen[class]) < maxEvidenceItems {
			seen[class] = append(seen[class], where)
		}
	}
	if s.Identity.Environment != "" {
		note(e.classify.class(s.Identity.Environment), "identity environment "+s.Identity.Environment)
	} else {
		note(e.classify.Classify(s.Identity.ExternalID), "identity "+s.Identity.ExternalID)
	}
	for _, g := range s.Grants {
		switch {
		case allows(g):
			for _, r := range g.Resources {
				note(e.classify.Classify(r), "permission on "+r)
			}
			note(e.classify.Classify(g.Scope), "permission scope "+g.Scope)
		case trusts(g):
			for _, p := range g.Principals {
				if acct := accountOf(p); acct != "" {
					note(e.classify.Classify(acct), "trusted by "+p)
				}
			}
		}
	}
	for _, env := range s.Activity.Environments {
		note(env, "activity in "+env)
	}
	if len(seen["prod"]) == 0 || len(seen["nonprod"]) == 0 {
		return nil
	}
	return []Hit{{
		Detail:   fmt.Sprintf("Spans production (%s) and non-production (%s).", seen["prod"][0], seen["nonprod"][0]),
		Evidence: map[string]any{"prod": seen["prod"], "nonprod": seen["nonprod"]},
	}}
}
