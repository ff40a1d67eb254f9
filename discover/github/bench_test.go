package github

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"github.com/warden-nhi/warden"
)

// BenchmarkParse measures parse+normalise throughput of the sample
// organisation's log repeated, reported as events/s.
func BenchmarkParse(b *testing.B) {
	data := benchData(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		p, err := NewParser(bufio.NewReader(bytes.NewReader(data)), "bench.jsonl")
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
			if _, err := p.Event(&e); err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkParseBaseline decodes the same lines with encoding/json into maps, in the
// same run, so the parser's number has a reference on a noisy machine.
func BenchmarkParseBaseline(b *testing.B) {
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

func benchData(b *testing.B) []byte { return bytes.Repeat(readSample(b, sampleLines), 200) }
