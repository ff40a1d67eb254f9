package monitor

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
)

// trail streams n CloudTrail JSON Lines made from the off-workload and
// bulk-secrets sequences' records, each with its own event id, a time one
// millisecond after the previous, one of 500 principals and one of 64
// source addresses, without holding the stream in memory.
type trail struct {
	templates [][]byte
	n, i      int
	buf       bytes.Buffer
}

func newTrail(tb testing.TB, n int) *trail {
	g := &trail{n: n}
	for _, name := range []string{"cloudtrail-off-workload.jsonl", "cloudtrail-bulk-secrets.jsonl"} {
		data, err := os.ReadFile(filepath.Join("testdata", "sequences", name))
		if err != nil {
			tb.Fatal(err)
		}
		g.templates = append(g.templates, bytes.Split(bytes.TrimSpace(data), []byte("\n"))[:60]...)
	}
	return g
}

var benchStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func (g *trail) Read(p []byte) (int, error) {
	for g.buf.Len() < len(p) && g.i < g.n {
		t := g.templates[g.i%len(g.templates)]
		i := bytes.Index(t, []byte(`"eventID":"`)) + len(`"eventID":"`)
		j := bytes.Index(t, []byte(`"eventTime":"`)) + len(`"eventTime":"`)
		k := bytes.Index(t, []byte(`"sourceIPAddress":"`)) + len(`"sourceIPAddress":"`)
		ke := k + bytes.IndexByte(t[k:], '"')
		// Records keep their template's field order: userIdentity, eventTime,
		// ..., sourceIPAddress, ..., eventID.
		g.buf.Write(bytes.ReplaceAll(t[:j], []byte("orders-api"), fmt.Appendf(nil, "svc-%03d", g.i%500)))
		g.buf.WriteString(benchStart.Add(time.Duration(g.i) * time.Millisecond).Format(time.RFC3339Nano))
		g.buf.Write(t[j+20 : k])
		fmt.Fprintf(&g.buf, "10.20.%d.%d", g.i%4, g.i%64)
		g.buf.Write(t[ke:i])
		fmt.Fprintf(&g.buf, "%012d-bench-4d5e-9f10-1a2b3c4d5e6f", g.i)
		g.buf.Write(t[i+36:])
		g.buf.WriteByte('\n')
		g.i++
	}
	if g.buf.Len() == 0 {
		return 0, io.EOF
	}
	return g.buf.Read(p)
}

// parseOnly is the baseline: CloudTrail parsing and normalisation alone.
func parseOnly(tb testing.TB, r io.Reader) int {
	p, err := aws.NewCloudTrailParser(bufio.NewReaderSize(r, 64<<10), "bench")
	if err != nil {
		tb.Fatal(err)
	}
	var e warden.Event
	n := 0
	for {
		ok, err := p.Next()
		if err != nil {
			tb.Fatal(err)
		}
		if !ok {
			return n
		}
		if _, err := p.Event(&e); err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

// detectAll runs parse + baseline + detect over r.
func detectAll(tb testing.TB, r io.Reader, en *Engine) int {
	n := 0
	err := ReadEvents(r, "bench", func(e *warden.Event) error {
		en.Observe(e)
		n++
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	en.Flush()
	return n
}

// BenchmarkIngest reports events/s per core of parse-only (the baseline)
// and parse + baseline + detect in the same run, and the heap in use
// after 100k and 1M events (memory must stay flat as input grows 10×).
// go test ./monitor -run '^$' -bench Ingest -benchtime 1x
func BenchmarkIngest(b *testing.B) {
	runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(runtime.NumCPU())
	const n = 100000
	b.Run("ParseOnly", func(b *testing.B) {
		for range b.N {
			start := time.Now()
			got := parseOnly(b, newTrail(b, n))
			b.ReportMetric(float64(got)/time.Since(start).Seconds(), "events/s")
		}
	})
	b.Run("ParseBaselineDetect", func(b *testing.B) {
		for range b.N {
			start := time.Now()
			got := detectAll(b, newTrail(b, n), NewEngine(testConfig()))
			b.ReportMetric(float64(got)/time.Since(start).Seconds(), "events/s")
		}
	})
	b.Run("HeapFlat", func(b *testing.B) {
		for range b.N {
			heap := func(events int) float64 {
				en := NewEngine(testConfig())
				detectAll(b, newTrail(b, events), en)
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				runtime.KeepAlive(en)
				return float64(m.HeapInuse) / (1 << 20)
			}
			small, large := heap(n), heap(10*n)
			b.ReportMetric(small, "MiB@100k")
			b.ReportMetric(large, "MiB@1M")
			b.ReportMetric(large/small, "heap-ratio")
		}
	})
}

func TestBenchTrail_ParsesAndVaries(t *testing.T) {
	en := NewEngine(testConfig())
	if got := detectAll(t, newTrail(t, 2000), en); got != 2000 {
		t.Fatalf("parsed %d events", got)
	}
	if s := en.Stats(); s.Events != 2000 || s.Duplicates != 0 || len(en.actors) < 500 {
		t.Fatalf("stats %+v, %d actors", s, len(en.actors))
	}
}
