package govern

import (
	"testing"

	"github.com/warden-nhi/warden"
)

func TestRiskScore(t *testing.T) {
	active := &warden.Identity{Status: warden.StatusActive}
	f := func(sev warden.Severity, status warden.FindingStatus) *warden.Finding {
		return &warden.Finding{Severity: sev, Status: status}
	}
	for _, tc := range []struct {
		name     string
		identity *warden.Identity
		open     []*warden.Finding
		exposure Exposure
		want     int
	}{
		{"Clean", active, nil, Exposure{}, 0},
		{"ExposureOnly", active, nil, Exposure{Prod: true, Privileged: true, Unowned: true, Unmanaged: true}, 30},
		{"OneMedium", active, []*warden.Finding{f(warden.SeverityMedium, warden.FindingOpen)}, Exposure{}, 8},
		{"CriticalInProd", active, []*warden.Finding{f(warden.SeverityCritical, warden.FindingOpen)}, Exposure{Prod: true}, 50},
		{"FindingsCapAt70", active, []*warden.Finding{f(warden.SeverityCritical, warden.FindingOpen), f(warden.SeverityCritical, warden.FindingOpen)}, Exposure{}, 70},
		{"CapAt100", active, []*warden.Finding{f(warden.SeverityCritical, warden.FindingOpen), f(warden.SeverityCritical, warden.FindingOpen)}, Exposure{Prod: true, Privileged: true, Unowned: true, Unmanaged: true}, 100},
		{"SuppressedDoesNotCount", active, []*warden.Finding{f(warden.SeverityCritical, warden.FindingSuppressed)}, Exposure{}, 0},
		{"InfoIsFree", active, []*warden.Finding{f(warden.SeverityInfo, warden.FindingOpen), f(warden.SeverityLow, warden.FindingOpen)}, Exposure{}, 3},
		{"Deprovisioned", &warden.Identity{Status: warden.StatusDeprovisioned}, []*warden.Finding{f(warden.SeverityCritical, warden.FindingOpen)}, Exposure{Prod: true}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := RiskScore(tc.identity, tc.open, tc.exposure); got != tc.want {
				t.Fatalf("RiskScore = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestExposureOf(t *testing.T) {
	e := NewEngine(nil)
	s := with(perm([]string{"iam:*"}, []string{"*"}, "x"), identity(func(i *warden.Identity) { i.Owner = ""; i.Managed = false }))
	if got := e.ExposureOf(s); got != (Exposure{Prod: true, Privileged: true, Unowned: true, Unmanaged: true}) {
		t.Errorf("exposure = %+v", got)
	}
	s = with(identity(func(i *warden.Identity) { i.Environment = "staging" }))
	if got := e.ExposureOf(s); got != (Exposure{}) {
		t.Errorf("exposure = %+v", got)
	}
}
