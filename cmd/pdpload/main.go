// Command pdpload measures warden's HTTP decision endpoint from a separate
// process, so that the load generator's CPU is not the server's.
//
//	pdpload seed -db /tmp/pdp/warden.db -dir /tmp/pdp
//	warden serve --db /tmp/pdp/warden.db --kek-file /tmp/pdp/kek --addr 127.0.0.1:18080 --log-level warn &
//	pdpload run -url http://127.0.0.1:18080 -dir /tmp/pdp -n 60000 -c 64 -server-pid $!
//
// seed writes the load fixture (10,000 identities, 500 policies, 1,000
// stored resources; internal/loadgen) into a new database and leaves the
// request bodies, an operator API token and an issuer KEK in -dir. run
// sends GET /healthz and then POST /v1/authorize from -c closed-loop
// keep-alive clients and prints rates, latency percentiles, the ratio to
// the /healthz baseline, and the CPU time each process spent. floor serves
// the same routes without deciding anything, to measure the same load
// against the machine's HTTP floor:
//
//	pdpload floor -addr 127.0.0.1:18474 &
//	pdpload run -url http://127.0.0.1:18474 -dir /tmp/pdp -server-pid $! -rate 20000
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/internal/loadgen"
	"github.com/warden-nhi/warden/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pdpload:", err)
		os.Exit(1)
	}
}

const usage = "usage: pdpload seed -db PATH -dir DIR | pdpload run -url URL -dir DIR [-n N] [-c C] [-client raw|net/http] [-rate R] [-server-pid PID] [-json] | pdpload floor [-addr HOST:PORT]"

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "seed":
		return seed(ctx, args[1:])
	case "run":
		return load(ctx, args[1:])
	case "floor":
		return floor(ctx, args[1:])
	}
	return fmt.Errorf("unknown command %q; %s", args[0], usage)
}

// Files seed leaves in -dir.
const (
	bodiesFile = "bodies.jsonl"
	tokenFile  = "operator.token"
	kekFile    = "kek"
)

func seed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	dbPath := fs.String("db", "", "new SQLite database file, or postgres:// URL of an empty database")
	dir := fs.String("dir", "", "directory for the request bodies, API token and KEK")
	identities := fs.Int("identities", 10000, "identities in the inventory")
	policies := fs.Int("policies", 500, "policies in the active version")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbPath == "" || *dir == "" {
		return errors.New("seed: -db and -dir are required")
	}
	if *identities < 1 || *policies < 3 {
		return errors.New("seed: -identities must be at least 1 and -policies at least 3")
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dbPath)
	if err != nil {
		return fmt.Errorf("seed: open %s: %w", *dbPath, err)
	}
	defer db.Close()
	f := loadgen.Generate(*identities, *policies, 1)
	secret, err := f.Load(warden.NewContextWithActor(ctx, warden.Actor{Type: "system", ID: "pdpload"}), db)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	var bodies bytes.Buffer
	for _, b := range f.Bodies {
		bodies.Write(b)
		bodies.WriteByte('\n')
	}
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		return err
	}
	for name, data := range map[string][]byte{bodiesFile: bodies.Bytes(), tokenFile: []byte(secret + "\n"), kekFile: []byte(hex.EncodeToString(kek) + "\n")} {
		if err := os.WriteFile(filepath.Join(*dir, name), data, 0o600); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	fmt.Printf("seeded %d identities, %d policies, %d resources; %d request bodies, token and KEK in %s\n",
		len(f.Identities), *policies, len(f.Entities), len(f.Bodies), *dir)
	return nil
}

// report is the outcome of one run.
type report struct {
	Healthz   loadgen.Result `json:"healthz"`
	Authorize loadgen.Result `json:"authorize"`
	Ratio     float64        `json:"authorize_to_healthz"`
	// Paced runs at -rate (zero without it).
	PacedHealthz   loadgen.Result `json:"paced_healthz"`
	PacedAuthorize loadgen.Result `json:"paced_authorize"`
	// CPU seconds per 1,000 decisions spent by each process during the
	// authorize phase; server is 0 without -server-pid.
	ClientCPUms        float64 `json:"client_cpu_ms_per_1000"`
	ServerCPUms        float64 `json:"server_cpu_ms_per_1000"`
	ServerHealthzCPUms float64 `json:"server_healthz_cpu_ms_per_1000"`
}

func load(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:18080", "base URL of warden serve")
	dir := fs.String("dir", "", "directory seed wrote")
	n := fs.Int("n", 60000, "decision requests to send (and as many /healthz requests)")
	workers := fs.Int("c", 64, "concurrent keep-alive clients")
	warmup := fs.Int("warmup", 12288, "decision requests sent first and not measured")
	pid := fs.Int("server-pid", 0, "process id of warden serve, to report its CPU time")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	clientKind := fs.String("client", "raw", "raw (minimal HTTP/1.1 client, little CPU) or net/http")
	rate := fs.Float64("rate", 0, "also send -n requests of each kind at this rate per second (open loop) and report their latency")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *n < 1 || *workers < 1 {
		return errors.New("run: -dir is required; -n and -c must be positive")
	}
	bodies, secret, err := readSeed(*dir)
	if err != nil {
		return err
	}
	u, err := url.Parse(*base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("run: -url %q must be http://host:port", *base)
	}
	authz := "Bearer " + secret
	var authorize, healthz loadgen.Doer
	switch *clientKind {
	case "raw":
		reqs := make([][]byte, len(bodies))
		for i, b := range bodies {
			reqs[i] = loadgen.RawRequest("POST", u.Host, "/v1/authorize", b, "Content-Type: application/json", "Authorization: "+authz)
		}
		health := loadgen.RawRequest("GET", u.Host, "/healthz", nil)
		authorize = loadgen.RawDoer(u.Host, *workers, func(i int) []byte { return reqs[i%len(reqs)] })
		healthz = loadgen.RawDoer(u.Host, *workers, func(int) []byte { return health })
	case "net/http":
		client := loadgen.NewClient(*workers)
		authorize = loadgen.HTTPDoer(client, func(i int) *http.Request {
			req, _ := http.NewRequest("POST", *base+"/v1/authorize", bytes.NewReader(bodies[i%len(bodies)]))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", authz)
			return req
		})
		healthz = loadgen.HTTPDoer(client, func(int) *http.Request { req, _ := http.NewRequest("GET", *base+"/healthz", nil); return req })
	default:
		return fmt.Errorf("run: -client %q: use raw or net/http", *clientKind)
	}
	if *warmup > 0 {
		if _, err := loadgen.Run(ctx, *warmup, *workers, http.StatusOK, authorize); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	var rep report
	server0 := processCPU(*pid)
	if rep.Healthz, err = loadgen.Run(ctx, *n, *workers, http.StatusOK, healthz); err != nil {
		return fmt.Errorf("healthz: %w", err)
	}
	client0, server1 := selfCPU(), processCPU(*pid)
	if rep.Authorize, err = loadgen.Run(ctx, *n, *workers, http.StatusOK, authorize); err != nil {
		return fmt.Errorf("authorize: %w", err)
	}
	client1, server2 := selfCPU(), processCPU(*pid)
	if *rate > 0 {
		if rep.PacedHealthz, err = loadgen.RunPaced(ctx, *n, *workers, http.StatusOK, *rate, healthz); err != nil {
			return fmt.Errorf("paced healthz: %w", err)
		}
		if rep.PacedAuthorize, err = loadgen.RunPaced(ctx, *n, *workers, http.StatusOK, *rate, authorize); err != nil {
			return fmt.Errorf("paced authorize: %w", err)
		}
	}
	rep.Ratio = rep.Authorize.Rate / rep.Healthz.Rate
	perK := func(d time.Duration) float64 { return float64(d.Milliseconds()) * 1000 / float64(*n) }
	rep.ClientCPUms, rep.ServerCPUms, rep.ServerHealthzCPUms = perK(client1-client0), perK(server2-server1), perK(server1-server0)
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(rep)
	}
	fmt.Printf("healthz   %s\n", rep.Healthz)
	fmt.Printf("authorize %s\n", rep.Authorize)
	if *rate > 0 {
		fmt.Printf("at %.0f/s: healthz   %s\n", *rate, rep.PacedHealthz)
		fmt.Printf("at %.0f/s: authorize %s\n", *rate, rep.PacedAuthorize)
	}
	fmt.Printf("authorize/healthz rate %.2f; CPU per 1,000 requests: server %.0f ms per decision vs %.0f ms per healthz, client %.0f ms per decision\n",
		rep.Ratio, rep.ServerCPUms, rep.ServerHealthzCPUms, rep.ClientCPUms)
	return nil
}

// readSeed reads the request bodies and the API token seed wrote.
func readSeed(dir string) ([][]byte, string, error) {
	f, err := os.Open(filepath.Join(dir, bodiesFile))
	if err != nil {
		return nil, "", fmt.Errorf("run: %w (run pdpload seed first)", err)
	}
	defer f.Close()
	var bodies [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			bodies = append(bodies, bytes.Clone(line))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("run: read bodies: %w", err)
	}
	if len(bodies) == 0 {
		return nil, "", errors.New("run: no request bodies")
	}
	tok, err := os.ReadFile(filepath.Join(dir, tokenFile))
	if err != nil {
		return nil, "", fmt.Errorf("run: %w", err)
	}
	return bodies, strings.TrimSpace(string(tok)), nil
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the user+system CPU time of process pid from
// /proc/PID/stat (Linux; clock ticks of 1/100 s); 0 when unknown.
func processCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are
	// the 14th and 15th fields of the whole line.
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}
