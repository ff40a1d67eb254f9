package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// benchIdentity is a realistic create body with every member set.
var benchIdentity = []byte(`{"kind":"cloud_role","provider":"aws","external_id":"arn:aws:iam::123456789012:role/service-role/payments-deploy","name":"payments-deploy","owner":"team-payments","purpose":"deploys the payments service","environment":"prod","labels":{"team":"payments","cost-center":"cc-42"},"status":"active","managed":true,"next_review_at":"2026-01-31T00:00:00Z","first_seen_at":"2024-03-01T08:15:00Z","last_used_at":"2025-06-30T12:00:00Z"}`)

// BenchmarkDecodeIdentityCreate measures the strict decoder against a bare
// encoding/json decode of the same body (the baseline), so the cost of
// naming every bad field can be read off as a ratio.
func BenchmarkDecodeIdentityCreate(b *testing.B) {
	b.Run("baseline-encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req identityCreate
			dec := json.NewDecoder(bytes.NewReader(benchIdentity))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("strict", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req identityCreate
			if err := decodeBody("application/json", io.NopCloser(bytes.NewReader(benchIdentity)), &req, decodeOptions{allowNull: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
