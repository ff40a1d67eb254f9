package govern

import (
	"fmt"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// writeProgramme renders the programme metrics as a Markdown table, a
// month per row, with the window's totals.
func writeProgramme(b *strings.Builder, m *warden.ProgrammeMetrics) {
	fmt.Fprintf(b, "## Programme (%s to %s)\n\n", m.Since.Format("2006-01-02"), m.Until.Format(time.RFC3339))
	b.WriteString("| month | not onboarded discovered | owners assigned | median time to owner | reviews answered | would deny | would disable | over-permissioned |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, mo := range m.Months {
		fmt.Fprintf(b, "| %s | %d | %d | %s | %s | %d | %d | %s |\n", mo.Month, mo.NotOnboardedDiscovered, mo.OwnersAssigned,
			FormatHours(mo.MedianHoursToOwner), FormatRatio(mo.ReviewsAnswered, mo.ReviewItems), mo.WouldDeny, mo.WouldDisable, formatCount(mo.OverPermissioned))
	}
	fmt.Fprintf(b, "| **total** | %d | %d | %s | %s | %d | %d | %s |\n\n", m.NotOnboardedDiscovered, m.OwnersAssigned,
		FormatHours(m.MedianHoursToOwner), FormatRatio(m.ReviewsAnswered, m.ReviewItems), m.WouldDeny, m.WouldDisable, formatCount(m.OverPermissioned))
	b.WriteString("Not onboarded: identities first seen that month and still not onboarded. Time to owner: from an identity becoming unowned to an owner being set. Would deny / would disable: what controls in monitor mode let through. Over-permissioned: identities with an open NHI5 finding at the month's last evaluation.\n\n")
}

// FormatHours writes a duration in hours as people read it: "36 h",
// "4.5 d"; "—" for none.
func FormatHours(h *float64) string {
	switch {
	case h == nil:
		return "—"
	case *h < 48:
		return fmt.Sprintf("%.1f h", *h)
	default:
		return fmt.Sprintf("%.1f d", *h/24)
	}
}

// FormatRatio writes "answered/items (rate %)"; "—" without items.
func FormatRatio(answered, items int) string {
	if items == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", answered, items, 100*float64(answered)/float64(items))
}

func formatCount(n *int) string {
	if n == nil {
		return "—"
	}
	return fmt.Sprint(*n)
}
