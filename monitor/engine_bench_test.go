package monitor

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover/aws"
)

// trail streams n CloudTrail JSON Lines made from the off-workload and
// bulk-secrets sequences' records, each with its own event id, a time one
// millisecond after the previous, one of 2×actors (1,000) principals (each
// template names its own) and one of 64 source addresses, without holding
// the stream in memory. The templates are cut once, so that making a
// record costs little beside parsing it.
type trail struct {
	templates []template
	n, i      int
	actors    int
	buf       bytes.Buffer
}

// template is a record cut around the fields the generator varies; the
// principal's name ("orders-api", "ci-deployer") is cut out of head.
type template struct {
	head     [][]byte // up to the eventTime value, split at the principal's name
	mid      []byte   // after the time, up to the sourceIPAddress value
	beforeID []byte   // after the address, up to the eventID value
	tail     []byte   // after the eventID value
}

func newTrail(tb testing.TB, n int) *trail {
	g := &trail{n: n, actors: 500}
	for _, name := range []string{"cloudtrail-off-workload.jsonl", "cloudtrail-bulk-secrets.jsonl"} {
		data, err := os.ReadFile(filepath.Join("testdata", "sequences", name))
		if err != nil {
			tb.Fatal(err)
		}
		for _, t := range bytes.Split(bytes.TrimSpace(data), []byte("\n"))[:60] {
			// Records keep their template's field order: userIdentity,
			// eventTime, ..., sourceIPAddress, ..., eventID.
			i := bytes.Index(t, []byte(`"eventID":"`)) + len(`"eventID":"`)
			j := bytes.Index(t, []byte(`"eventTime":"`)) + len(`"eventTime":"`)
			k := bytes.Index(t, []byte(`"sourceIPAddress":"`)) + len(`"sourceIPAddress":"`)
			ke := k + bytes.IndexByte(t[k:], '"')
			head := bytes.Split(t[:j], []byte("orders-api"))
			if len(head) == 1 {
				head = bytes.Split(t[:j], []byte("ci-deployer"))
			}
			g.templates = append(g.templates, template{head: head, mid: t[j+20 : k], beforeID: t[ke:i], tail: t[i+36:]})
		}
	}
	return g
}

var benchStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func (g *trail) Read(p []byte) (int, error) {
	var num []byte
	for g.buf.Len() < len(p) && g.i < g.n {
		t := &g.templates[g.i%len(g.templates)]
		for h, part := range t.head {
			if h > 0 {
				num = fmt.Appendf(num[:0], "svc-%03d", g.i%g.actors)
				g.buf.Write(num)
			}
			g.buf.Write(part)
		}
		num = benchStart.Add(time.Duration(g.i)*time.Millisecond).AppendFormat(num[:0], "2006-01-02T15:04:05.000Z")
		g.buf.Write(num)
		g.buf.Write(t.mid)
		num = fmt.Appendf(num[:0], "10.20.%d.%d", g.i%4, g.i%64)
		g.buf.Write(num)
		g.buf.Write(t.beforeID)
		num = fmt.Appendf(num[:0], "%012d-bench-4d5e-9f10-1a2b3c4d5e6f", g.i)
		g.buf.Write(num)
		g.buf.Write(t.tail)
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
	n, _ := detectPeak(tb, r, en)
	return n
}

// detectPeak runs parse + baseline + detect over r and returns the number
// of events and the peak live heap in bytes, as marked by the collections
// during the run (sampled every 4096 events, and once more at the end).
func detectPeak(tb testing.TB, r io.Reader, en *Engine) (int, uint64) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	var peak uint64
	measure := func() {
		metrics.Read(sample)
		peak = max(peak, sample[0].Value.Uint64())
	}
	n := 0
	err := ReadEvents(r, "bench", func(e *warden.Event) error {
		en.Observe(e)
		if n++; n%4096 == 0 {
			measure()
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	en.Flush()
	runtime.GC()
	measure()
	return n, peak
}

// cpuTime is the CPU time (user and system, all threads) the process has
// used; with GOMAXPROCS(1) it is what one core spent, GC included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rate runs fn, which handles some events, and reports events per
// wall-clock second and per CPU second.
func rate(b *testing.B, fn func() int) {
	runtime.GC()
	start, cpu := time.Now(), cpuTime()
	n := fn()
	wall, used := time.Since(start), cpuTime()-cpu
	b.ReportMetric(float64(n)/wall.Seconds(), "events/s")
	b.ReportMetric(float64(n)/used.Seconds(), "events/cpu-s")
}

// BenchmarkIngest reports, in one run, events per second and per CPU
// second on one core of parse-only (the baseline) and of parse + baseline
// + detect, and the peak live heap over 100k and over 1M events (memory
// must stay flat as input grows 10×).
// go test ./monitor -run '^$' -bench Ingest -benchtime 1x
func BenchmarkIngest(b *testing.B) {
	runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(runtime.NumCPU())
	const n = 100000
	b.Run("ParseOnly", func(b *testing.B) {
		for range b.N {
			rate(b, func() int { return parseOnly(b, newTrail(b, n)) })
		}
	})
	b.Run("ParseBaselineDetect", func(b *testing.B) {
		for range b.N {
			rate(b, func() int { return detectAll(b, newTrail(b, n), NewEngine(testConfig())) })
		}
	})
	b.Run("HeapFlat", func(b *testing.B) {
		for range b.N {
			small, large := peakHeap(b, n, 500), peakHeap(b, 10*n, 500)
			b.ReportMetric(float64(small)/(1<<20), "MiB@100k")
			b.ReportMetric(float64(large)/(1<<20), "MiB@1M")
			b.ReportMetric(float64(large)/float64(small), "heap-ratio")
		}
	})
}

// peakHeap is the peak live heap of parse + baseline + detect over a
// trail of n events by 2×actors principals.
func peakHeap(tb testing.TB, n, actors int) uint64 {
	runtime.GC()
	en := NewEngine(testConfig())
	g := newTrail(tb, n)
	g.actors = actors
	_, peak := detectPeak(tb, g, en)
	runtime.KeepAlive(en)
	return peak
}

// TestIngest_MemoryFlat: the peak live heap of parse + baseline + detect
// over 10× the events stays within 1.3× (the reorder buffer is bounded by
// count, dedupe by a fixed ring, profiles and their recent-event windows
// by fixed limits). 100 principals keep the run short and let every
// per-actor structure reach its bound within the smaller run, as 1,000 do
// within BenchmarkIngest/HeapFlat's 100k events.
func TestIngest_MemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 330k events")
	}
	small, large := peakHeap(t, 30000, 50), peakHeap(t, 300000, 50)
	t.Logf("peak live heap: %.1f MiB at 30k events, %.1f MiB at 300k (%.2fx)", float64(small)/(1<<20), float64(large)/(1<<20), float64(large)/float64(small))
	if float64(large) > 1.3*float64(small) {
		t.Fatalf("peak live heap grew %.2fx for 10x the events", float64(large)/float64(small))
	}
}

func TestBenchTrail_ParsesAndVaries(t *testing.T) {
	en := NewEngine(testConfig())
	if got := detectAll(t, newTrail(t, 2000), en); got != 2000 {
		t.Fatalf("parsed %d events", got)
	}
	if s := en.Stats(); s.Events != 2000 || s.Duplicates != 0 || len(en.actors) != 1000 {
		t.Fatalf("stats %+v, %d actors", s, len(en.actors))
	}
}
