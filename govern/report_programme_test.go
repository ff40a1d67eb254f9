package govern

import (
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func TestRenderMarkdown_ProgrammeSection(t *testing.T) {
	h, n := 36.0, 4
	r := &warden.Report{GeneratedAt: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), Programme: &warden.ProgrammeMetrics{
		Since: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC),
		Months: []*warden.ProgrammeMonth{
			{Month: "2026-02", NotOnboardedDiscovered: 7, OwnersAssigned: 2, MedianHoursToOwner: &h, ReviewItems: 4, ReviewsAnswered: 3, WouldDeny: 12, OverPermissioned: &n},
			{Month: "2026-03", NotOnboardedDiscovered: 2},
		},
		NotOnboardedDiscovered: 9, OwnersAssigned: 2, MedianHoursToOwner: &h, ReviewItems: 4, ReviewsAnswered: 3, WouldDeny: 12, OverPermissioned: &n,
	}}
	var b strings.Builder
	if err := RenderMarkdown(&b, r); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"## Programme (2026-02-01 to 2026-03-31T00:00:00Z)",
		"| 2026-02 | 7 | 2 | 36.0 h | 3/4 (75%) | 12 | 0 | 4 |",
		"| 2026-03 | 2 | 0 | — | — | 0 | 0 | — |",
		"| **total** | 9 | 2 | 36.0 h | 3/4 (75%) | 12 | 0 | 4 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if FormatHours(ptrFloat(72)) != "3.0 d" {
		t.Errorf("FormatHours(72) = %s", FormatHours(ptrFloat(72)))
	}
}

func ptrFloat(f float64) *float64 { return &f }
