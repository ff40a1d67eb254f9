package review

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

// FuzzReviewInput feeds start and answer bodies as callers send them
// (seeds in testdata/requests) through everything that reads them before
// anything is stored: duration parsing, campaign building and validation,
// answer checking. None of it may panic; every refusal is EINVALID naming
// a field; an accepted campaign has its due date in the future, a
// non-negative grace and a reminder interval of at least an hour.
func FuzzReviewInput(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	s := &Service{cfg: Config{Schedule: DefaultSchedule(), Due: DefaultDue, Grace: DefaultGrace, Reminder: DefaultReminder}}
	now := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		refused := func(what string, err error) {
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) == "" {
				t.Fatalf("%s: error without EINVALID and field: %v", what, err)
			}
		}
		var in warden.ReviewInput
		if json.Unmarshal(data, &in) == nil {
			c, err := s.campaign(context.Background(), in, now)
			if err != nil {
				refused("campaign", err)
			} else if !c.DueAt.After(now) || c.GraceSeconds < 0 || c.ReminderSeconds < int64(MinReminderInterval/time.Second) || c.Name == "" {
				t.Fatalf("accepted campaign %+v", c)
			}
		}
		var a warden.ReviewAnswerInput
		if json.Unmarshal(data, &a) == nil {
			if err := checkAnswer(&a); err != nil {
				refused("answer", err)
			} else if !a.Answer.Valid() || (a.Answer == warden.AnswerRemove && a.Comment == "") {
				t.Fatalf("accepted answer %+v", a)
			}
		}
	})
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"14d": 14 * 24 * time.Hour, "0d": 0, " 36h ": 36 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseDuration("due", in, 0); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "367d", "1y", "-2h", "400000h"} {
		if _, err := ParseDuration("due", in, 0); warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != "due" {
			t.Errorf("ParseDuration(%q) = %v, want EINVALID on due", in, err)
		}
	}
	if _, err := ParseDuration("reminder", "30m", MinReminderInterval); warden.ErrorCode(err) != warden.EINVALID {
		t.Errorf("reminder below the minimum = %v", err)
	}
}

func TestClassify_PrivilegedByRiskOrPrivilegeFinding(t *testing.T) {
	s := DefaultSchedule()
	for name, tc := range map[string]struct {
		risk     int
		findings []*warden.Finding
		want     warden.ReviewTier
	}{
		"HighRisk":          {risk: 60, want: warden.TierPrivileged},
		"AdminFinding":      {risk: 10, findings: []*warden.Finding{{RuleID: "admin-permissions", Status: warden.FindingOpen}}, want: warden.TierPrivileged},
		"WildcardFinding":   {risk: 0, findings: []*warden.Finding{{RuleID: "wildcard-permissions", Status: warden.FindingOpen}}, want: warden.TierPrivileged},
		"SuppressedAdmin":   {risk: 10, findings: []*warden.Finding{{RuleID: "admin-permissions", Status: warden.FindingSuppressed}}, want: warden.TierStandard},
		"OtherFinding":      {risk: 59, findings: []*warden.Finding{{RuleID: "credential-old", Status: warden.FindingOpen}}, want: warden.TierStandard},
		"NothingPrivileged": {risk: 0, want: warden.TierStandard},
	} {
		t.Run(name, func(t *testing.T) {
			got, why := s.Classify(&warden.Identity{RiskScore: tc.risk}, tc.findings)
			if got != tc.want || why == "" {
				t.Fatalf("Classify = %s (%q), want %s", got, why, tc.want)
			}
		})
	}
	if s.Interval(warden.TierPrivileged) != 90*24*time.Hour || s.Interval(warden.TierStandard) != 180*24*time.Hour {
		t.Fatalf("intervals = %s, %s", s.Interval(warden.TierPrivileged), s.Interval(warden.TierStandard))
	}
}
