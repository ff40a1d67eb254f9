package offboard

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
)

func parseFile(t *testing.T, name string) ([]Departure, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []Departure
	err = Parse(strings.TrimPrefix(filepath.Ext(name), "."), f, func(d Departure) error {
		got = append(got, d)
		return nil
	})
	return got, err
}

func TestParse_HRExportCSV(t *testing.T) {
	got, err := parseFile(t, "departed-hr-export.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Departure{
		{Person: "alice.nguyen@example.com", DepartedAt: time.Date(2026, 2, 27, 0, 0, 0, 0, time.UTC), Line: 2},
		{Person: "Marco.Bellini@example.com", DepartedAt: time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC), Line: 3},
		{Person: "priya.raman@example.com", Line: 4},
		{Person: "jonas.weber@example.com", DepartedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Line: 6},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].Person != want[i].Person || !got[i].DepartedAt.Equal(want[i].DepartedAt) || got[i].Line != want[i].Line {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParse_JSONList(t *testing.T) {
	got, err := parseFile(t, "departed-people.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Person != "alice.nguyen@example.com" || got[1].Person != "svc-admin-mbellini" ||
		got[2].Person != "priya.raman@example.com" || !got[2].DepartedAt.IsZero() {
		t.Fatalf("got %+v", got)
	}
	if got[0].Line != 2 || got[1].Line != 3 || got[2].Line != 4 {
		t.Fatalf("lines = %d %d %d, want 2 3 4", got[0].Line, got[1].Line, got[2].Line)
	}
	if !got[1].DepartedAt.Equal(time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC)) {
		t.Fatalf("departed = %v", got[1].DepartedAt)
	}
}

func TestParse_ErrorsNameLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, file, input, format string
		field, msg                string
	}{
		{name: "bad date", file: "bad-date.csv", field: "departed_at", msg: "line 3: departed_at \"27/02/2026\""},
		{name: "no person column", file: "no-person-column.csv", field: "person", msg: "line 1: the header row has no person or email column"},
		{name: "person not a string", file: "bad-person-type.json", field: "person", msg: "line 3: person must be a string"},
		{name: "not an array", file: "not-an-array.json", field: "file", msg: "line 1: the JSON list must be an array"},
		{name: "empty csv", format: "csv", field: "file", msg: "the CSV list is empty"},
		{name: "empty person", format: "csv", input: "person,departed_at\n ,2026-01-01\n", field: "person", msg: "line 2: person is empty"},
		{name: "control character", format: "csv", input: "person\n\"a\x01b\"\n", field: "person", msg: "line 2: person contains a control character"},
		{name: "bare quote", format: "csv", input: "person\nal\"ice\n", field: "file", msg: "line 2:"},
		{name: "element not an object", format: "json", input: "[\n\"alice\"\n]", field: "file", msg: "line 2: each element must be an object"},
		{name: "truncated", format: "json", input: "[{\"person\": \"alice\"},\n", field: "file", msg: "line 2: the JSON list ends early"},
		{name: "syntax", format: "json", input: "[\n{\"person\" \"alice\"}]", field: "file", msg: "line 2: the JSON list is malformed"},
		{name: "trailing data", format: "json", input: "[]\n[]", field: "file", msg: "unexpected data after the JSON array"},
		{name: "unknown format", format: "xlsx", field: "format", msg: "format \"xlsx\" is not csv or json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.file != "" {
				_, err = parseFile(t, tc.file)
			} else {
				err = Parse(tc.format, strings.NewReader(tc.input), func(Departure) error { return nil })
			}
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != tc.field || !strings.Contains(warden.ErrorMessage(err), tc.msg) {
				t.Fatalf("err = %v, want EINVALID field %s containing %q", err, tc.field, tc.msg)
			}
		})
	}
}

func TestParse_TooManyPeopleIsRefused(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("person\n")
	for i := 0; i <= MaxDepartures; i++ {
		b.WriteString("p")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString("@example.com\n")
	}
	err := ParseCSV(&b, func(Departure) error { return nil })
	if warden.ErrorCode(err) != warden.ETOOLARGE {
		t.Fatalf("err = %v, want ETOOLARGE", err)
	}
}

func TestParse_CallbackErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ParseJSON(strings.NewReader(`[{"person":"a"},{"person":"b"}]`), func(Departure) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err = %v after %d rows", err, n)
	}
}

func TestParseGrace(t *testing.T) {
	for in, want := range map[string]time.Duration{"": DefaultGrace, "14d": 14 * 24 * time.Hour, "72h": 72 * time.Hour, " 1d ": 24 * time.Hour} {
		if got, err := ParseGrace(in, DefaultGrace); err != nil || got != want {
			t.Errorf("ParseGrace(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0d", "-1d", "367d", "30m", "+3d", "fortnight", "1.5d"} {
		if _, err := ParseGrace(in, DefaultGrace); warden.ErrorField(err) != "grace" {
			t.Errorf("ParseGrace(%q) = %v, want a grace error", in, err)
		}
	}
}
