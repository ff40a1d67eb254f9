package main

import (
	"strings"
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	for want, when := range map[string]*time.Time{
		"never":    nil,
		"just now": at(10 * time.Second),
		"1m ago":   at(time.Minute),
		"59m ago":  at(59*time.Minute + 59*time.Second),
		"5h ago":   at(5*time.Hour + 30*time.Minute),
		"1d ago":   at(24 * time.Hour),
		"93d ago":  at(93*24*time.Hour + 23*time.Hour),
		"in 12d":   at(-12*24*time.Hour - time.Hour),
		"in 3h":    at(-3 * time.Hour),
	} {
		if got := ago(now, when); got != want {
			t.Errorf("ago(%v) = %q, want %q", when, got, want)
		}
	}
	if got := until(now, nil); got != "-" {
		t.Errorf("until(nil) = %q", got)
	}
}

func TestParseLabels(t *testing.T) {
	got, err := parseLabels([]string{"team=payments", "pci", "note=a=b", ""}, true)
	if err != nil || len(got) != 3 || got["team"] != "payments" || got["pci"] != "" || got["note"] != "a=b" {
		t.Errorf("filter labels = %v, %v", got, err)
	}
	if _, err := parseLabels([]string{"pci"}, false); err == nil {
		t.Error("a bare key was accepted where key=value is required")
	}
	if _, err := parseLabels([]string{"=x"}, true); err == nil {
		t.Error("an empty key was accepted")
	}
	if got, err := parseLabels([]string{""}, false); err != nil || len(got) != 0 {
		t.Errorf("--label '' = %v, %v; want an empty map", got, err)
	}
}

func TestParseDate(t *testing.T) {
	d, err := parseDate("review-date", "2026-06-30")
	if err != nil || !d.Equal(time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date = %v, %v", d, err)
	}
	r, err := parseDate("review-date", "2026-06-30T10:00:00+02:00")
	if err != nil || !r.Equal(time.Date(2026, 6, 30, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("rfc3339 = %v, %v", r, err)
	}
	if _, err := parseDate("review-date", "30/06/2026"); err == nil || !strings.Contains(err.Error(), "--review-date") {
		t.Errorf("err = %v, want it to name the flag", err)
	}
}

func TestSecretFingerprint(t *testing.T) {
	const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // SHA-256("abc")
	for _, in := range []string{"abc", "abc\n", "abc\r\n"} {
		if got, err := secretFingerprint(strings.NewReader(in)); err != nil || got != abc {
			t.Errorf("secretFingerprint(%q) = %s, %v", in, got, err)
		}
	}
	if got, _ := secretFingerprint(strings.NewReader("abc\n\n")); got == abc {
		t.Error("only one trailing newline may be dropped")
	}
	if _, err := secretFingerprint(strings.NewReader("")); err == nil {
		t.Error("an empty secret was accepted")
	}
	if _, err := secretFingerprint(strings.NewReader(strings.Repeat("x", maxSecretBytes+1))); err == nil {
		t.Error("an oversized secret was accepted")
	}
}

func TestWrapAndClip(t *testing.T) {
	for _, line := range strings.Split(wrap(strings.Repeat("word ", 50), 20), "\n") {
		if len(line) > 20 {
			t.Errorf("line %q is longer than 20", line)
		}
	}
	if got := clip("abcdef", 4); got != "abc…" {
		t.Errorf("clip = %q", got)
	}
	if got := clip("abc", 4); got != "abc" {
		t.Errorf("clip = %q", got)
	}
}
