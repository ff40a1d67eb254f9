package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/warden-nhi/warden"
)

// rightsizeParams are the query parameters of GET /v1/identities/{ref}/rightsize.
var rightsizeParams = []string{"window", "format", "provider"}

// handleRightsize compares the identity's grants with its activity over
// the window (default 90d) and answers with the report (format=json, the
// default), the proposed IAM policy document (format=iam) or the proposed
// Kubernetes RBAC as YAML (format=k8s). A proposal the activity gives
// nothing for (no AWS, or no Kubernetes, permission used) is a 404.
func (s *Server) handleRightsize(w http.ResponseWriter, r *http.Request) {
	if s.rightsize == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "rightsizing is not enabled on this server"))
		return
	}
	q, err := parseQuery(r, rightsizeParams)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	window := warden.DefaultRightsizeWindow
	if v, ok := q["window"]; ok {
		if window, err = warden.ParseWindow("window", v[0]); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	format := q.get("format")
	if format == "" {
		format = warden.RightsizeFormatJSON
	}
	if !slices.Contains(warden.RightsizeFormats, format) {
		s.Error(w, r, warden.FieldErrorf("format", "format %q is not one of %s", clip(format), strings.Join(warden.RightsizeFormats, ", ")))
		return
	}
	identity, err := s.findIdentity(r, q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	report, err := s.rightsize.Rightsize(r.Context(), identity.ID, window)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	switch format {
	case warden.RightsizeFormatIAM:
		if report.AWSPolicy == nil {
			s.Error(w, r, nothingToPropose(report, "AWS", "IAM policy"))
			return
		}
		data, err := json.MarshalIndent(report.AWSPolicy, "", "  ")
		if err != nil {
			s.Error(w, r, fmt.Errorf("encode IAM policy: %w", err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(append(data, '\n'))
	case warden.RightsizeFormatK8s:
		if report.KubernetesRBAC == "" {
			s.Error(w, r, nothingToPropose(report, "Kubernetes", "Role"))
			return
		}
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write([]byte(report.KubernetesRBAC))
	default:
		s.writeJSON(w, r, http.StatusOK, report)
	}
}

func nothingToPropose(r *warden.RightsizeReport, provider, document string) error {
	return warden.Errorf(warden.ENOTFOUND, "%s used no %s permission in the last %s (%d events, %d needing a permission): there is no %s to propose; format=json shows its unused grants",
		clip(r.Identity), provider, r.Window, r.Counts.Events, r.Counts.Used, document)
}
