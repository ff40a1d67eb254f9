package discover

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"strings"
	"testing"
)

func TestValueReader_SplitsValues(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		inArray     bool
		want        []string
		wantErr     bool
	}{
		{"JSONLines", "{\"a\":1}\n{\"b\":\"x}\"}\n", false, []string{`{"a":1}`, `{"b":"x}"}`}, false},
		{"ArrayElements", ` {"a":[1,2]} , {"b":"\"]"}]`, true, []string{`{"a":[1,2]}`, `{"b":"\"]"}`}, false},
		{"EmptyArray", `]`, true, nil, false},
		{"Scalars", `1 "two" true`, false, []string{"1", `"two"`, "true"}, false},
		{"Truncated", `{"a":`, false, nil, true},
		{"UnclosedArray", `{"a":1}`, true, []string{`{"a":1}`}, true},
		{"StrayClose", `}`, false, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vr := NewValueReader(bufio.NewReaderSize(strings.NewReader(tc.input), 16))
			vr.InArray = tc.inArray
			var got []string
			var err error
			for {
				var v []byte
				v, err = vr.Next()
				if err != nil {
					break
				}
				got = append(got, string(v))
			}
			if (err != io.EOF) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("values = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMembers(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		want        map[string]string
		wantErr     bool
	}{
		{"Flat", `{"a":"x","b":2,"c":null}`, map[string]string{"a": `"x"`, "b": "2", "c": "null"}, false},
		{"Nested", ` { "o" : {"p":[1,{"q":"}"}]} , "e":"\u00e9\"" } `, map[string]string{"o": `{"p":[1,{"q":"}"}]}`, "e": `"\u00e9\""`}, false},
		{"EscapedKey", `{"a\"b":true}`, map[string]string{`a"b`: "true"}, false},
		{"Empty", `{}`, map[string]string{}, false},
		{"MissingColon", `{"a" 1}`, nil, true},
		{"TrailingComma", `{"a":1,}`, nil, true},
		{"BadLiteral", `{"a":tru}`, nil, true},
		{"BadNumber", `{"a":1.2.3}`, nil, true},
		{"Unterminated", `{"a":"x}`, nil, true},
		{"Trailing", `{"a":1} x`, nil, true},
		{"NotObject", `[1]`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			err := Members([]byte(tc.input), func(k string, v []byte) error { got[k] = string(v); return nil })
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !maps.Equal(got, tc.want) {
				t.Fatalf("members = %q, want %q", got, tc.want)
			}
		})
	}
	if s, err := String([]byte(`"caf\u00e9 \"x\""`)); err != nil || s != `café "x"` {
		t.Fatalf("String = %q, %v", s, err)
	}
	if _, err := String([]byte(`12`)); !IsNotString(err) {
		t.Fatalf("String(12) error = %v, want not-a-string", err)
	}
}

// FuzzMembers checks Members against encoding/json: whatever the input,
// no panic; for every valid JSON object, Members succeeds and sees the
// same members with values that decode to the same data.
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{"a":"x","b":[1,{"c":null}],"d":{"e":"\"}"}}`, `{}`, `{"a":1e5,"b":-0.5,"c":true}`, `{"k":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got := map[string]any{}
		err := Members(data, func(k string, v []byte) error {
			var x any
			if json.Unmarshal(v, &x) != nil {
				return errors.New("value does not decode")
			}
			got[k] = x
			return nil
		})
		var want map[string]any
		if json.Unmarshal(data, &want) != nil || want == nil {
			return // not a valid object: any error or result is fine, no panic is the check
		}
		if err != nil {
			t.Fatalf("Members rejected a valid object %q: %v", data, err)
		}
		gb, _ := json.Marshal(got)
		wb, _ := json.Marshal(want)
		if string(gb) != string(wb) {
			t.Fatalf("Members saw %s, encoding/json %s", gb, wb)
		}
	})
}
