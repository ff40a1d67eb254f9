package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/warden-nhi/warden"
)

// fuzzBody wraps data the way the handlers do, with the test body limit.
func fuzzBody(data []byte) io.Reader {
	return http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(data)), testMaxBody)
}

// checkDecodeError fails unless err is a client error a handler would
// answer with 400 or 413.
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	switch code := warden.ErrorCode(err); code {
	case warden.EINVALID, warden.ETOOLARGE:
	default:
		t.Fatalf("error code %q (%v), want invalid or too_large", code, err)
	}
	if warden.ErrorMessage(err) == "" {
		t.Fatalf("error %v has no message", err)
	}
}

// FuzzDecodeIdentityCreate feeds arbitrary bodies to the decoding and
// validation of POST /v1/identities: it must never panic, and must yield a
// valid identity that can be written back as JSON, or a client error.
func FuzzDecodeIdentityCreate(f *testing.F) {
	f.Add([]byte(validIdentity))
	f.Fuzz(func(t *testing.T, data []byte) {
		identity, err := decodeIdentityCreate("application/json", fuzzBody(data))
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if err := identity.Validate(); err != nil {
			t.Fatalf("accepted an identity that does not validate: %v", err)
		}
		if _, err := json.Marshal(identity); err != nil {
			t.Fatalf("accepted an identity that cannot be encoded: %v", err)
		}
	})
}

// FuzzDecodeIdentityPatch does the same for PATCH /v1/identities/{ref}: an
// accepted update changes something and validates.
func FuzzDecodeIdentityPatch(f *testing.F) {
	f.Add([]byte(`{"owner":"team-a","next_review_at":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		upd, err := decodeIdentityPatch("application/json", fuzzBody(data))
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		if upd.Empty() {
			t.Fatal("accepted an empty update")
		}
		if err := upd.Validate(); err != nil {
			t.Fatalf("accepted an update that does not validate: %v", err)
		}
		if upd.ClearNextReview && upd.NextReviewAt != nil {
			t.Fatal("update both sets and clears next_review_at")
		}
		var identity warden.Identity
		upd.Apply(&identity)
		if _, err := json.Marshal(&identity); err != nil {
			t.Fatalf("accepted an update that cannot be encoded: %v", err)
		}
	})
}

// FuzzDecodeCredentialCreate checks the credential body the same way.
func FuzzDecodeCredentialCreate(f *testing.F) {
	f.Add([]byte(`{"type":"access_key","public_id":"AKIAIOSFODNN7EXAMPLE"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cred, err := decodeCredentialCreate("application/json", fuzzBody(data))
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if err := cred.Validate(); err != nil {
			t.Fatalf("accepted a credential that does not validate: %v", err)
		}
		if _, err := json.Marshal(cred); err != nil {
			t.Fatalf("accepted a credential that cannot be encoded: %v", err)
		}
	})
}
