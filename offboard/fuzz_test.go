package offboard

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

// FuzzParse feeds departed-people lists (seeds: the samples in testdata,
// as CSV and as JSON) through both parsers. Neither may panic; every
// error is EINVALID or ETOOLARGE with a field and, past the header, a
// line; every person handed on is non-empty printable UTF-8 that
// normalises, on a line that exists.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.csv")
	more, _ := filepath.Glob("testdata/*.json")
	files = append(files, more...)
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, format := range []string{warden.OffboardSourceCSV, warden.OffboardSourceJSON} {
			err := Parse(format, bytes.NewReader(data), func(d Departure) error {
				if d.Person == "" || !utf8.ValidString(d.Person) {
					t.Fatalf("%s: person %q handed on", format, d.Person)
				}
				if _, err := warden.NormalisePerson("person", d.Person); err != nil {
					t.Fatalf("%s: person %q does not normalise: %v", format, d.Person, err)
				}
				if d.Line < 1 || d.Line > lines {
					t.Fatalf("%s: line %d of %d", format, d.Line, lines)
				}
				return nil
			})
			if err == nil {
				continue
			}
			switch warden.ErrorCode(err) {
			case warden.EINVALID:
				if warden.ErrorField(err) == "" || !strings.Contains(warden.ErrorMessage(err), "line ") && !strings.Contains(warden.ErrorMessage(err), "empty") {
					t.Fatalf("%s: error without field or line: %v", format, err)
				}
			case warden.ETOOLARGE:
			default:
				t.Fatalf("%s: error code %q: %v", format, warden.ErrorCode(err), err)
			}
		}
	})
}
