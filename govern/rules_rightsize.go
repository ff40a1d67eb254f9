package govern

import (
	"fmt"
	"strings"

	"github.com/warden-nhi/warden/rightsize"
)

// checkUnusedPermissions fires when the identity has enough activity in
// the window (min_events allowed events) to judge, and its grants are
// far broader than that activity: a broad wildcard grant ("*", "s3:*",
// RBAC '*') covered some use, or at least min_unused of its granted
// permissions, and at least unused_ratio of them, were never used. The
// comparison is the one `warden rightsize` reports in full.
func checkUnusedPermissions(s *Snapshot, e *env) []Hit {
	u := s.Activity.Usage
	if u == nil || u.Counts().Used < int(e.param("min_events")) {
		return nil
	}
	c := rightsize.Compare(s.Grants, u)
	if c.Granted == 0 {
		return nil
	}
	unused := len(c.Unused)
	ratio := float64(unused) / float64(c.Granted)
	mostUnused := unused >= int(e.param("min_unused")) && ratio >= e.param("unused_ratio")
	if !mostUnused && len(c.Broad) == 0 {
		return nil
	}
	var parts []string
	if mostUnused {
		parts = append(parts, fmt.Sprintf("%d of %d granted permissions were not used", unused, c.Granted))
	}
	var broad []map[string]any
	var broadText []string
	for _, g := range c.Broad {
		if len(broad) < maxEvidenceItems {
			broad = append(broad, map[string]any{"via": g.Via, "scope": g.Scope, "permission": g.Permission, "used": sample(g.Covers), "events": g.Count})
		}
		broadText = append(broadText, fmt.Sprintf("%s used for %d permission(s)", g.Permission, len(g.Covers)))
	}
	if len(broadText) > 0 {
		parts = append(parts, "broad grants "+strings.Join(sample(broadText), ", "))
	}
	unusedList := make([]string, 0, min(unused, maxEvidenceItems))
	for _, g := range c.Unused {
		if len(unusedList) == maxEvidenceItems {
			break
		}
		unusedList = append(unusedList, g.Permission+" ("+g.Via+")")
	}
	return []Hit{{
		Detail: fmt.Sprintf("In %d allowed events of the last %d days: %s. See warden rightsize %s for the proposed least-privilege policy.",
			u.Counts().Used, e.cfg.ActivityWindowDays, strings.Join(parts, "; "), s.Identity.ExternalID),
		Evidence: map[string]any{
			"events": u.Counts().Used, "used_permissions": len(c.Used), "granted_permissions": c.Granted,
			"unused_count": unused, "unused": unusedList, "broad_grants": broad,
		},
	}}
}
