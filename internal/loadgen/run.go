package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what one load run measured.
type Result struct {
	Requests int           `json:"requests"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Rate     float64       `json:"per_second"`
	P50      time.Duration `json:"p50_ns"`
	P90      time.Duration `json:"p90_ns"`
	P99      time.Duration `json:"p99_ns"`
	Max      time.Duration `json:"max_ns"`
}

func (r Result) String() string {
	return fmt.Sprintf("%d requests in %v: %.0f/s, p50 %v, p90 %v, p99 %v, max %v",
		r.Requests, r.Elapsed.Round(time.Millisecond), r.Rate, r.P50.Round(time.Microsecond), r.P90.Round(time.Microsecond),
		r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond))
}

// Doer sends request i from worker w and returns the answer's status
// once the whole answer has been read.
type Doer func(w, i int) (int, error)

// Run sends n requests from workers concurrent closed-loop clients (each
// sends its next request when the previous answer has been read) and
// measures each request's latency from sending to the end of the answer.
// Any error or status other than want ends the run with an error. A
// closed loop keeps the server saturated, so its latencies are queueing
// (about workers/rate); use RunPaced for latency at a given load.
func Run(ctx context.Context, n, workers int, want int, do Doer) (Result, error) {
	return run(ctx, n, workers, want, do, 0)
}

// RunPaced sends n requests at rate per second (open loop: request i is
// due at start + i/rate whether or not earlier answers came back), from
// up to workers concurrent clients, and measures each latency from the
// moment the request was due, so that a stalled server is charged for
// the requests it delayed (no coordinated omission).
func RunPaced(ctx context.Context, n, workers int, want int, rate float64, do Doer) (Result, error) {
	if rate <= 0 {
		return Result{}, fmt.Errorf("rate %v must be positive", rate)
	}
	return run(ctx, n, workers, want, do, rate)
}

func run(ctx context.Context, n, workers int, want int, do Doer, rate float64) (Result, error) {
	var next atomic.Int64
	lat := make([]time.Duration, n)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		runErr  error
	)
	fail := func(err error) { errOnce.Do(func() { runErr = err; cancel() }) }
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if rate > 0 {
					t0 = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					if d := time.Until(t0); d > 0 {
						time.Sleep(d)
					}
				}
				status, err := do(w, i)
				lat[i] = time.Since(t0)
				if err != nil {
					fail(fmt.Errorf("request %d: %w", i, err))
					return
				}
				if status != want {
					fail(fmt.Errorf("request %d: status %d, want %d", i, status, want))
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if runErr != nil {
		return Result{}, runErr
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	return summarise(lat, elapsed), nil
}

// HTTPDoer sends the requests req builds with client (net/http).
func HTTPDoer(client *http.Client, req func(i int) *http.Request) Doer {
	return func(_, i int) (int, error) {
		resp, err := client.Do(req(i))
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return 0, fmt.Errorf("read answer: %w", err)
		}
		return resp.StatusCode, nil
	}
}

// summarise sorts lat and reads the percentiles off it.
func summarise(lat []time.Duration, elapsed time.Duration) Result {
	res := Result{Requests: len(lat), Elapsed: elapsed}
	if len(lat) == 0 {
		return res
	}
	slices.Sort(lat)
	pct := func(p int) time.Duration { return lat[min(len(lat)-1, len(lat)*p/100)] }
	res.Rate = float64(len(lat)) / elapsed.Seconds()
	res.P50, res.P90, res.P99, res.Max = pct(50), pct(90), pct(99), lat[len(lat)-1]
	return res
}

// NewClient returns an HTTP client that keeps one idle connection per
// worker, so that a closed-loop run reuses its connections.
func NewClient(workers int) *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, IdleConnTimeout: time.Minute}}
}
