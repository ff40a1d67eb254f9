package monitor

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// checkInputErr fails unless err is nil or a domain error the API answers
// with a 4xx: bad input must never look like an internal fault.
func checkInputErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if code := warden.ErrorCode(err); code != warden.EINVALID && code != warden.ETOOLARGE {
		t.Fatalf("error %v has code %q, want invalid or too_large", err, code)
	}
}

// addFiles adds every file matching the pattern under testdata as a seed.
func addFiles(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds %s: %v", pattern, err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// FuzzParsePlaybook: any input is a valid playbook or an EINVALID error;
// a valid playbook survives encoding and parsing again unchanged.
func FuzzParsePlaybook(f *testing.F) {
	addFiles(f, "playbooks/*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlaybook(data)
		checkInputErr(t, err)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed playbook does not validate: %v", err)
		}
		enc, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParsePlaybook(enc)
		if err != nil || !reflect.DeepEqual(p, again) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, p, again)
		}
		// Matching never panics, with or without an inventory identity.
		for _, id := range []*warden.Identity{nil, {ID: "x", Kind: warden.KindCloudRole, Labels: map[string]string{"a": "b"}}} {
			for i := range p.Rules {
				p.Rules[i].matches(sampleDetection(), id)
			}
		}
	})
}

// FuzzDecodeEvent: any line is a checked event or an EINVALID error
// naming a field; a decoded event survives encoding and decoding again,
// and the engine takes it without panicking.
func FuzzDecodeEvent(f *testing.F) {
	// Seeds: the first events of a CloudTrail and a Kubernetes audit
	// sequence, as warden events.
	for _, name := range []string{"cloudtrail-off-workload.jsonl", "k8s-token-theft.jsonl"} {
		file, err := os.Open(filepath.Join("testdata", "sequences", name))
		if err != nil {
			f.Fatal(err)
		}
		n := 0
		err = ReadEvents(file, name, func(e *warden.Event) error {
			if n++; n <= 3 {
				b, err := json.Marshal(e)
				f.Add(b)
				return err
			}
			return nil
		})
		file.Close()
		if err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := DecodeEvent(data)
		checkInputErr(t, err)
		if err != nil {
			return
		}
		if e.Time.Location() != e.Time.UTC().Location() || e.RawID == "" || e.Source == "" || e.Principal == "" {
			t.Fatalf("checked event lacks time, raw id, source or principal: %+v", e)
		}
		switch e.Outcome {
		case warden.OutcomeAllow, warden.OutcomeDeny, warden.OutcomeError:
		default:
			t.Fatalf("outcome %q", e.Outcome)
		}
		enc, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeEvent(enc)
		if err != nil || !reflect.DeepEqual(e, again) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, e, again)
		}
		en := NewEngine(testConfig())
		for _, d := range append(en.Observe(e), en.Flush()...) {
			if d.Identity != e.Principal || len(d.EventIDs) == 0 {
				t.Fatalf("detection %+v of event %+v", d, e)
			}
		}
	})
}

// FuzzReadEvents: a whole input (warden events or CloudTrail, maybe
// gzip) is read or refused with a 4xx error naming the input.
func FuzzReadEvents(f *testing.F) {
	// Small seeds keep minimisation of new inputs quick.
	addFiles(f, "sequences/cloudtrail-console.jsonl")
	data, err := os.ReadFile(filepath.Join("testdata", "sequences", "github-bot-routine.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.Join(bytes.SplitN(data, []byte("\n"), 4)[:3], []byte("\n")))
	if data, err = os.ReadFile(filepath.Join("testdata", "sequences", "k8s-token-theft.jsonl")); err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.Join(bytes.SplitN(data, []byte("\n"), 3)[:2], []byte("\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		err := ReadEvents(bytes.NewReader(data), "fuzz.jsonl", func(e *warden.Event) error {
			if e.RawID == "" || e.Time.IsZero() {
				t.Fatalf("event without raw id or time: %+v", e)
			}
			n++
			return nil
		})
		checkInputErr(t, err)
		if err != nil && !strings.Contains(err.Error(), "fuzz.jsonl") {
			t.Fatalf("error %q does not name the input", err)
		}
	})
}
