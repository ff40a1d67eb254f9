package k8s

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/warden-nhi/warden"
)

// BenchmarkParseAudit measures parse+normalise throughput of the sample
// audit log repeated, reported as events/s (kept and skipped alike).
func BenchmarkParseAudit(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		p, err := NewAuditParser(bufio.NewReader(bytes.NewReader(data)), "bench.jsonl")
		if err != nil {
			b.Fatal(err)
		}
		var e warden.Event
		for {
			ok, err := p.Next()
			if err != nil {
				b.Fatal(err)
			}
			if !ok {
				break
			}
			if _, _, err := p.Event(&e); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkParseAuditBaseline decodes the same lines with encoding/json into maps, in the
// same run, so the parser's number has a reference on a noisy machine.
func BenchmarkParseAuditBaseline(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		for line := range bytes.Lines(data) {
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

func benchData(b *testing.B) []byte { return bytes.Repeat(readAudit(b), 200) }
