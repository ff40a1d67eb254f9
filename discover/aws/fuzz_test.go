package aws

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/warden-nhi/warden"
)

// checkErr fails unless err is nil or a domain error the API answers with
// a 4xx: bad input must never look like an internal fault.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if code := warden.ErrorCode(err); code != warden.EINVALID && code != warden.ETOOLARGE {
		t.Fatalf("error %v has code %s, want invalid or too_large", err, code)
	}
}

func FuzzParseCloudTrail(f *testing.F) {
	for _, name := range []string{"northwind-2026-02-28.json", "northwind-2026-03-01.jsonl", "northwind-2026-03-02.json.gz"} {
		f.Add(readSample(f, "cloudtrail/"+name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := parseCloudTrail(t, data, "fuzz.json")
		checkErr(t, err)
		for _, e := range events {
			if e.Event.RawID == "" || e.Event.Time.IsZero() || e.Event.Source != SourceCloudTrail {
				t.Fatalf("event without id, time or source: %+v", e.Event)
			}
			switch e.Event.Outcome {
			case warden.OutcomeAllow, warden.OutcomeDeny, warden.OutcomeError:
			default:
				t.Fatalf("outcome %q", e.Event.Outcome)
			}
			if e.Identity != nil {
				if err := e.Identity.Validate(); err != nil {
					t.Fatalf("actor identity %+v is not valid: %v", e.Identity, err)
				}
			}
			if c := e.Creation; c != nil {
				checkCreation(t, e.Event, c)
			}
		}
	})
}

func FuzzParseGAAD(f *testing.F) {
	f.Add(readSample(f, "northwind-gaad.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		batch, _, err := ParseGAAD(bufio.NewReader(bytes.NewReader(data)), "fuzz.json")
		checkErr(t, err)
		if err != nil {
			return
		}
		for _, ig := range batch.Grants {
			for _, g := range ig.Grants {
				if g.Effect != "allow" && g.Effect != "deny" {
					t.Fatalf("grant effect %q", g.Effect)
				}
			}
		}
	})
}

func FuzzParseCredentialReport(f *testing.F) {
	f.Add(readSample(f, "credential-report.csv"))
	f.Fuzz(func(t *testing.T, data []byte) {
		batch, _, err := ParseCredentialReport(bytes.NewReader(data), "fuzz.csv")
		checkErr(t, err)
		for _, c := range batch.Credentials {
			if err := c.Credential.Validate(); err != nil && len(c.Credential.PublicID) <= warden.MaxNameLen {
				t.Fatalf("credential %+v is not valid: %v", c.Credential, err)
			}
		}
	})
}

// checkCreation holds for every creation a record yields: provenance that
// names its event, creator and created identity within the store's
// limits, and a valid created identity or key.
func checkCreation(t *testing.T, e *warden.Event, c *Creation) {
	t.Helper()
	p := c.Provenance
	if p == nil || p.EventID != e.RawID || p.Creator == "" || p.IdentityExternalID == "" || p.Source != SourceCloudTrail || !p.Time.Equal(e.Time) ||
		len(p.Creator) > warden.MaxNameLen || len(p.CreatorRef) > warden.MaxExternalIDLen || len(p.IdentityExternalID) > warden.MaxExternalIDLen {
		t.Fatalf("provenance %+v of event %+v", p, e)
	}
	if !creationEvents[p.Event] {
		t.Fatalf("provenance of a %s event", p.Event)
	}
	if c.Identity != nil {
		if err := c.Identity.Validate(); err != nil || c.Identity.ExternalID != p.IdentityExternalID {
			t.Fatalf("created identity %+v: %v", c.Identity, err)
		}
	}
	if c.Credential != nil && (!isLongTermKey(c.Credential.Credential.PublicID) || c.Credential.Credential.PublicID != p.CredentialExternalID) {
		t.Fatalf("created key %+v for provenance %+v", c.Credential, p)
	}
}
