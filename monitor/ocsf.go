package monitor

import (
	"time"

	"github.com/warden-nhi/warden"
)

// OCSFVersion is the OCSF schema version of the findings warden writes.
const OCSFVersion = "1.1.0"

// OCSF Detection Finding (class 2004, category 2 Findings).
const (
	ocsfClassDetectionFinding = 2004
	ocsfCategoryFindings      = 2
	ocsfActivityCreate        = 1
)

// ocsfSeverity maps warden severities to OCSF severity_id.
var ocsfSeverity = map[warden.Severity]int{
	warden.SeverityInfo: 1, warden.SeverityLow: 2, warden.SeverityMedium: 3, warden.SeverityHigh: 4, warden.SeverityCritical: 5,
}

// OCSFFinding renders a detection as an OCSF 1.1 Detection Finding, the
// shape SIEMs (Security Lake, Splunk, Sentinel) ingest.
func OCSFFinding(d *warden.Detection, productVersion string) map[string]any {
	sev := ocsfSeverity[d.Severity]
	det := DetectorByID(d.Detector)
	title := d.Detector
	if det != nil {
		title = det.Description
	}
	evidences := make([]map[string]any, 0, len(d.Evidence))
	for _, e := range d.Evidence {
		ev := map[string]any{
			"actor":        map[string]any{"user": map[string]any{"uid": e.Principal, "type": "Other"}, "session": map[string]any{"uid": e.Session}},
			"api":          map[string]any{"operation": e.Action, "service": map[string]any{"name": e.Source}},
			"data":         map[string]any{"raw_id": e.RawID, "time": e.Time, "resource": e.Resource, "outcome": e.Outcome, "error_code": e.ErrorCode, "region": e.Region},
			"src_endpoint": map[string]any{"ip": e.SourceIP},
			"http_request": map[string]any{"user_agent": e.UserAgent},
		}
		evidences = append(evidences, ev)
	}
	return map[string]any{
		"class_uid": ocsfClassDetectionFinding, "class_name": "Detection Finding",
		"category_uid": ocsfCategoryFindings, "category_name": "Findings",
		"activity_id": ocsfActivityCreate, "activity_name": "Create",
		"type_uid": ocsfClassDetectionFinding*100 + ocsfActivityCreate, "type_name": "Detection Finding: Create",
		"time":        d.Time.UnixMilli(),
		"severity_id": sev, "severity": capitalise(string(d.Severity)),
		"status_id": 1, "status": "New",
		"message": d.Explanation,
		"metadata": map[string]any{
			"version": OCSFVersion, "uid": d.ID, "logged_time": d.DetectedAt.UnixMilli(),
			"product": map[string]any{"name": "warden", "vendor_name": "warden", "version": productVersion, "feature": map[string]any{"name": "monitor"}},
		},
		"finding_info": map[string]any{
			"uid": d.ID, "title": title, "desc": d.Explanation, "types": []string{d.Detector, d.OWASP},
			"created_time":    d.DetectedAt.UnixMilli(),
			"first_seen_time": firstEvidenceTime(d).UnixMilli(), "last_seen_time": d.Time.UnixMilli(),
			"analytic":       map[string]any{"uid": d.Detector, "name": d.Detector, "type_id": 1, "type": "Rule"},
			"attacks":        []map[string]any{{"version": "v15", "technique": map[string]any{"uid": d.Technique, "name": d.TechniqueName}}},
			"related_events": relatedEvents(d),
		},
		"resources": []map[string]any{{"uid": d.Identity, "type": "Non-Human Identity", "cloud_partition": string(d.Provider),
			"data": map[string]any{"warden_identity_id": d.IdentityID}}},
		"evidences":   evidences,
		"remediation": map[string]any{"desc": "Responses taken by warden playbooks: " + joinOr(d.Responses, "none")},
		"unmapped":    map[string]any{"owasp_nhi": d.OWASP, "responses": d.Responses},
	}
}

func relatedEvents(d *warden.Detection) []map[string]any {
	out := make([]map[string]any, len(d.EventIDs))
	for i, id := range d.EventIDs {
		out[i] = map[string]any{"uid": id}
	}
	return out
}

func firstEvidenceTime(d *warden.Detection) time.Time {
	if len(d.Evidence) > 0 {
		return d.Evidence[0].Time
	}
	return d.Time
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func joinOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	out := s[0]
	for _, v := range s[1:] {
		out += ", " + v
	}
	return out
}
