package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Request
	}{
		{"Principal", `{"principal":{"type":"Identity","id":"svc"},"action":{"id":"read"},"resource":{"type":"Doc","id":"d1"}}`,
			Request{Principal: &warden.EntityRef{Type: "Identity", ID: "svc"}, Action: warden.EntityRef{ID: "read"}, Resource: warden.EntityRef{Type: "Doc", ID: "d1"}}},
		{"TokenContextEntities", ` { "token" : "a.b.c", "action":{"type":"Action","id":"GET"}, "resource":{"type":"Route","id":"/"},
			"context":{"source_ip":"10.0.0.1"}, "entities":[{"uid":{"type":"Route","id":"/"}}] } `,
			Request{Token: "a.b.c", Action: warden.EntityRef{Type: "Action", ID: "GET"}, Resource: warden.EntityRef{Type: "Route", ID: "/"},
				Context: json.RawMessage(`{"source_ip":"10.0.0.1"}`), Entities: json.RawMessage(`[{"uid":{"type":"Route","id":"/"}}]`)}},
		{"NullsAreAbsent", `{"principal":null,"token":null,"action":{"type":null,"id":"x"},"resource":null,"context":null,"entities":null}`,
			Request{Action: warden.EntityRef{ID: "x"}}},
		{"Escapes", `{"principal":{"type":"Identity","id":"system:serviceaccount:ns:a\u00e9\/b"},"action":{"id":"r"},"resource":{"type":"D","id":"d"}}`,
			Request{Principal: &warden.EntityRef{Type: "Identity", ID: "system:serviceaccount:ns:aé/b"}, Action: warden.EntityRef{ID: "r"}, Resource: warden.EntityRef{Type: "D", ID: "d"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestDecodeRequest_Errors(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"ErrEmpty", ``, ""},
		{"ErrNotObject", `[1]`, ""},
		{"ErrNull", `null`, ""},
		{"ErrUnknownField", `{"principle":{"type":"Identity","id":"x"}}`, "principle"},
		{"ErrCaseDiffers", `{"Principal":{"type":"Identity","id":"x"}}`, "Principal"},
		{"ErrUnknownNested", `{"resource":{"type":"Doc","id":"d","attrs":{}}}`, "resource.attrs"},
		{"ErrDuplicate", `{"token":"a","token":"b"}`, "token"},
		{"ErrDuplicateNested", `{"action":{"id":"a","id":"b"}}`, "action.id"},
		{"ErrTokenNumber", `{"token":5}`, "token"},
		{"ErrIDObject", `{"principal":{"type":"Identity","id":{"x":1}}}`, "principal.id"},
		{"ErrResourceString", `{"resource":"Doc::d"}`, "resource"},
		{"ErrTrailing", `{"token":"a"} {}`, ""},
		{"ErrTrailingGarbage", `{"token":"a"}x`, ""},
		{"ErrTruncated", `{"token":"a",`, ""},
		{"ErrBadContext", `{"context":{"a":tru}}`, "context"},
		{"ErrInvalidUTF8", "{\"token\":\"\xff\"}", "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tt.body))
			if err == nil {
				t.Fatal("no error")
			}
			if warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("code %s: %v", warden.ErrorCode(err), err)
			}
			if got := warden.ErrorField(err); got != tt.field {
				t.Errorf("field %q, want %q (%v)", got, tt.field, err)
			}
		})
	}
}

func TestParseContext_SameAsCedar(t *testing.T) {
	files, err := filepath.Glob("testdata/contexts/*.json")
	if err != nil || len(files) == 0 {
		t.Fatal("no contexts", err)
	}
	for _, p := range files {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			checkContextSameAsCedar(t, data)
		})
	}
	if _, ok := flatRecord([]byte(`{"source_ip":"10.1.2.3","method":"GET","tls":true,"port":8443}`)); !ok {
		t.Error("a flat context did not take the fast path")
	}
}

// checkContextSameAsCedar asserts that parseContext gives cedar-go's record
// or, when cedar-go rejects the JSON, an error too.
func checkContextSameAsCedar(t *testing.T, data []byte) {
	t.Helper()
	var want types.Record
	wantErr := want.UnmarshalJSON(data)
	got, err := parseContext(data)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("parseContext(%q) error %v, cedar-go error %v", data, err, wantErr)
	}
	if err == nil && !got.Equal(want) {
		t.Fatalf("parseContext(%q) = %s, cedar-go %s", data, got.MarshalCedar(), want.MarshalCedar())
	}
}

// FuzzParseContext_SameAsCedar checks the fast context decoder against
// cedar-go's on arbitrary input.
func FuzzParseContext_SameAsCedar(f *testing.F) {
	files, _ := filepath.Glob("testdata/contexts/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkContextSameAsCedar(t, data) })
}

// FuzzDecodeRequest checks the strict request decoder against
// encoding/json: what it accepts, encoding/json accepts with the same
// result; what it rejects is EINVALID.
func FuzzDecodeRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"principal":null,"action":{"id":"a","id":"b"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeRequest(data)
		if err != nil {
			if warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("error code %s: %v", warden.ErrorCode(err), err)
			}
			return
		}
		var want Request
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("DecodeRequest accepted %q, encoding/json: %v", data, err)
		}
		if !bytes.Equal(compact(t, got.Context), compact(t, want.Context)) || !bytes.Equal(compact(t, got.Entities), compact(t, want.Entities)) {
			t.Fatalf("raw members differ on %q", data)
		}
		got.Context, got.Entities, want.Context, want.Entities = nil, nil, nil, nil
		if !reflect.DeepEqual(*got, want) {
			t.Fatalf("DecodeRequest(%q) = %+v, encoding/json %+v", data, *got, want)
		}
	})
}

func compact(t *testing.T, raw json.RawMessage) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("compact %q: %v", raw, err)
	}
	return b.Bytes()
}

func TestDecodeBatchRequest(t *testing.T) {
	one := `{"principal":{"type":"Identity","id":"a"},"action":{"id":"read"},"resource":{"type":"Doc","id":"d"}}`
	t.Run("OK", func(t *testing.T) {
		got, err := DecodeBatchRequest([]byte(`{"requests":[`+one+`, {"token":"t","action":{"id":"w"},"resource":{"type":"Doc","id":"e"},"context":{"n":1}}]}`), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Principal.ID != "a" || got[1].Token != "t" || string(got[1].Context) != `{"n":1}` {
			t.Fatalf("got %+v %+v", *got[0], *got[1])
		}
	})
	t.Run("NullIsEmpty", func(t *testing.T) {
		if got, err := DecodeBatchRequest([]byte(`{"requests":null}`), 10); err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v", got, err)
		}
	})
	for _, tt := range []struct{ name, body, field string }{
		{"ErrFieldOfRequest", `{"requests":[` + one + `,{"principal":{"type":"Identity","id":5}}]}`, "requests[1].principal.id"},
		{"ErrRequestNotObject", `{"requests":[` + one + `,7]}`, "requests[1]"},
		{"ErrTooMany", `{"requests":[` + one + `,` + one + `,` + one + `]}`, "requests"},
		{"ErrNotArray", `{"requests":{}}`, "requests"},
		{"ErrUnknown", `{"requests":[],"dryRun":true}`, "dryRun"},
		{"ErrTrailing", `{"requests":[]}]`, ""},
		{"ErrTruncated", `{"requests":[` + one, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBatchRequest([]byte(tt.body), 2)
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != tt.field {
				t.Fatalf("error %v (field %q), want EINVALID naming %q", err, warden.ErrorField(err), tt.field)
			}
		})
	}
}

// FuzzDecodeBatchRequest: any body gives requests or an EINVALID error,
// never a panic, and never more than the limit.
func FuzzDecodeBatchRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/requests/*.json")
	var reqs []string
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		reqs = append(reqs, string(bytes.TrimSpace(b)))
	}
	f.Add([]byte(`{"requests":[` + strings.Join(reqs, ",") + `]}`))
	f.Add([]byte(`{"requests":[{"action":{"id":"a","id":"b"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeBatchRequest(data, 3)
		if err != nil {
			if warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("error code %s: %v", warden.ErrorCode(err), err)
			}
			return
		}
		if len(got) > 3 {
			t.Fatalf("%d requests past the limit of 3", len(got))
		}
	})
}
