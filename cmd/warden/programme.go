package main

import (
	"fmt"
	"io"
	"sort"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/govern"
)

// printProgramme writes the programme metrics as a table, a month per
// row, then the window's totals.
func printProgramme(w io.Writer, m *warden.ProgrammeMetrics) error {
	t := newTable(w, "MONTH", "NOT ONBOARDED", "OWNERS ASSIGNED", "MEDIAN TO OWNER", "REVIEWS ANSWERED", "WOULD DENY", "WOULD DISABLE", "OVER-PERMISSIONED")
	for _, mo := range m.Months {
		t.row(mo.Month, fmt.Sprint(mo.NotOnboardedDiscovered), fmt.Sprint(mo.OwnersAssigned), govern.FormatHours(mo.MedianHoursToOwner),
			govern.FormatRatio(mo.ReviewsAnswered, mo.ReviewItems), fmt.Sprint(mo.WouldDeny), fmt.Sprint(mo.WouldDisable), countOrDash(mo.OverPermissioned))
	}
	t.row("total", fmt.Sprint(m.NotOnboardedDiscovered), fmt.Sprint(m.OwnersAssigned), govern.FormatHours(m.MedianHoursToOwner),
		govern.FormatRatio(m.ReviewsAnswered, m.ReviewItems), fmt.Sprint(m.WouldDeny), fmt.Sprint(m.WouldDisable), countOrDash(m.OverPermissioned))
	if err := t.flush(nil, ""); err != nil {
		return err
	}
	if len(m.WouldDisableByControl) > 0 {
		controls := make([]string, 0, len(m.WouldDisableByControl))
		for c := range m.WouldDisableByControl {
			controls = append(controls, string(c))
		}
		sort.Strings(controls)
		fmt.Fprintln(w)
		bc := newTable(w, "MONITOR-MODE CONTROL", "WOULD DISABLE")
		for _, c := range controls {
			bc.row(c, fmt.Sprint(m.WouldDisableByControl[warden.Control(c)]))
		}
		return bc.flush(nil, "")
	}
	return nil
}

func countOrDash(n *int) string {
	if n == nil {
		return "-"
	}
	return fmt.Sprint(*n)
}
