package warden_test

import (
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func TestParseWindow(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"90d", 90 * 24 * time.Hour},
		{"1d", 24 * time.Hour},
		{"12h", 12 * time.Hour},
		{"1h30m", 90 * time.Minute},
		{" 30d ", 30 * 24 * time.Hour},
		{"366d", 366 * 24 * time.Hour},
	} {
		got, err := warden.ParseWindow("window", tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseWindow(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "d", "-3d", "90", "ninety days", "30m", "367d", "9999999999999d", "1.5d", "0d"} {
		_, err := warden.ParseWindow("window", bad)
		if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != "window" {
			t.Errorf("ParseWindow(%q) = %v; want EINVALID naming window", bad, err)
		}
	}
}

func TestFormatWindow_RoundTrips(t *testing.T) {
	for _, d := range []time.Duration{90 * 24 * time.Hour, 12 * time.Hour, 90 * time.Minute} {
		got, err := warden.ParseWindow("window", warden.FormatWindow(d))
		if err != nil || got != d {
			t.Errorf("%v → %q → %v, %v", d, warden.FormatWindow(d), got, err)
		}
	}
	for d, want := range map[time.Duration]string{90 * 24 * time.Hour: "90d", 12 * time.Hour: "12h", 90 * time.Minute: "1h30m0s"} {
		if got := warden.FormatWindow(d); got != want {
			t.Errorf("FormatWindow(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzParseWindow: the window comes from a query parameter or a flag;
// any text is either a window within the limits that formats back to
// itself, or an EINVALID error naming the field, never a panic.
func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"90d", "12h", "1h30m", "366d", "0d", "-1h", "9223372036854775807d", "1e9h", "d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := warden.ParseWindow("window", s)
		if err != nil {
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != "window" {
				t.Fatalf("ParseWindow(%q): %v", s, err)
			}
			return
		}
		if d < warden.MinRightsizeWindow || d > warden.MaxRightsizeWindow {
			t.Fatalf("ParseWindow(%q) = %v, outside the limits", s, d)
		}
		if again, err := warden.ParseWindow("window", warden.FormatWindow(d)); err != nil || again != d {
			t.Fatalf("%q → %v → %q → %v, %v", s, d, warden.FormatWindow(d), again, err)
		}
	})
}
