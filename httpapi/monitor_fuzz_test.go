package httpapi

import (
	"testing"
)

// FuzzDecodeEventLines: any POST /v1/events body decodes to events or to
// a 400/413 error naming the record (events[i]...), never a panic; every
// decoded event is a complete object.
func FuzzDecodeEventLines(f *testing.F) {
	f.Add([]byte(`{"time":"2026-03-02T00:00:05Z","source":"warden-pdp","raw_id":"d1","principal":"spiffe://northwind/orders"}` + "\n\n" +
		`{"time":"2026-03-02T00:00:06Z","source":"k8s-audit","raw_id":"a2","principal":"system:serviceaccount:billing:invoice-worker","action":"get secrets","outcome":"deny","interactive":false}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := decodeEventLines(fuzzBody(data), testMaxBody)
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		for i, e := range events {
			if e == nil {
				t.Fatalf("events[%d] is nil", i)
			}
		}
		if len(events) > maxEventBatch {
			t.Fatalf("%d events decoded, limit %d", len(events), maxEventBatch)
		}
	})
}
