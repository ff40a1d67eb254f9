// Package offboard offboards departed people: every identity a person
// owned is flagged for reassignment (its owner cleared, labelled with the
// offboarding) until a deadline, the credentials they created are listed
// for rotation, and at the deadline the sweep disables what is still
// unowned through the governance actions (control disable-offboarded,
// monitor mode by default: only reported).
package offboard

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// Defaults of Config.
const (
	DefaultGrace         = 14 * 24 * time.Hour
	MinGrace             = time.Hour
	MaxGrace             = 366 * 24 * time.Hour
	DefaultSweepInterval = time.Minute
	// MaxFutureDeparture is how far ahead of the clock a departure may
	// lie (a date in another time zone); offboarding is for people who
	// have left.
	MaxFutureDeparture = 24 * time.Hour
)

// Config wires a Service. Store and Identities are required; Actions is
// required by the sweep.
type Config struct {
	Store      warden.OffboardingStore
	Identities warden.IdentityService
	// Credentials joins provenance records to warden's credentials;
	// Provenance names the credentials a person created. Either may be
	// nil: then only the active credentials of the flagged identities are
	// listed.
	Credentials warden.CredentialService
	Provenance  warden.ProvenanceStore
	// Actions disables (or, in monitor mode, reports) what is still
	// unowned at the deadline.
	Actions warden.GovernanceActions
	// Grace is the reassignment period when a request names none.
	Grace  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Service implements warden.OffboardingService.
type Service struct {
	cfg Config
}

var _ warden.OffboardingService = (*Service)(nil)

// New returns a Service for cfg with defaults filled in.
func New(cfg Config) *Service {
	if cfg.Store == nil || cfg.Identities == nil {
		panic("offboard.New: Store and Identities are required")
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{cfg: cfg}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// request is a checked offboarding request.
type request struct {
	person   string
	departed time.Time
	deadline time.Time
	source   string
}

// check validates one request before anything is written.
func (s *Service) check(person string, departed time.Time, grace time.Duration, source string) (*request, error) {
	p, err := warden.NormalisePerson("person", person)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if departed.IsZero() {
		departed = now
	}
	if departed.After(now.Add(MaxFutureDeparture)) {
		return nil, warden.FieldErrorf("departed_at", "departed_at %s is in the future: offboard people once they have left", departed.Format(time.RFC3339))
	}
	switch source {
	case warden.OffboardSourceAPI, warden.OffboardSourceCSV, warden.OffboardSourceJSON:
	default:
		return nil, warden.FieldErrorf("source", "source %q is not api, csv or json", clip(source))
	}
	return &request{person: p, departed: departed, deadline: departed.Add(grace), source: source}, nil
}

// ParseGrace reads a reassignment period: a number of days ("14d") or a
// Go duration ("72h"); empty means def.
func ParseGrace(s string, def time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || fmt.Sprint(n) != days {
			return 0, warden.FieldErrorf("grace", "grace %q is not a number of days such as 14d", clip(s))
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, warden.FieldErrorf("grace", "grace %q is not a period such as 14d or 72h", clip(s))
		}
	}
	if d < MinGrace || d > MaxGrace {
		return 0, warden.FieldErrorf("grace", "grace must be between 1h and 366d, got %s", clip(s))
	}
	return d, nil
}

// Offboard implements warden.OffboardingService.
func (s *Service) Offboard(ctx context.Context, in warden.OffboardInput, source string) (*warden.OffboardResult, error) {
	grace, err := ParseGrace(in.Grace, s.cfg.Grace)
	if err != nil {
		return nil, err
	}
	var departed time.Time
	if strings.TrimSpace(in.DepartedAt) != "" {
		if departed, err = ParseTime(strings.TrimSpace(in.DepartedAt)); err != nil {
			return nil, err
		}
	}
	req, err := s.check(in.Person, departed, grace, source)
	if err != nil {
		return nil, err
	}
	return s.start(ctx, req)
}

// start stores the offboarding of a checked request, or finds the
// person's open one.
func (s *Service) start(ctx context.Context, req *request) (*warden.OffboardResult, error) {
	open, _, err := s.cfg.Store.FindOffboardings(ctx, warden.OffboardingFilter{Person: req.person, Status: warden.OffboardingOpen, Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("offboard %s: %w", req.person, err)
	}
	if len(open) > 0 {
		return &warden.OffboardResult{Offboarding: open[0]}, nil
	}
	creds, err := s.createdCredentials(ctx, req.person)
	if err != nil {
		return nil, fmt.Errorf("offboard %s: %w", req.person, err)
	}
	o, created, err := s.cfg.Store.CreateOffboarding(ctx, &warden.Offboarding{
		Person: req.person, DepartedAt: req.departed, Deadline: req.deadline, Source: req.source, Credentials: creds,
	})
	if err != nil {
		return nil, fmt.Errorf("offboard %s: %w", req.person, err)
	}
	if created {
		s.cfg.Logger.Info("offboarding started", "offboarding", o.ID, "person", o.Person, "identities", len(o.Items),
			"credentials", len(o.Credentials), "deadline", o.Deadline)
	}
	return &warden.OffboardResult{Offboarding: o, Created: created}, nil
}

// ImportDeparted implements warden.OffboardingService. The whole list is
// read and checked first, so a bad row refuses the list before any
// offboarding starts; then each person is offboarded in their own
// transaction. A person listed twice is offboarded once.
func (s *Service) ImportDeparted(ctx context.Context, format string, r io.Reader, grace string) (*warden.OffboardImportResult, error) {
	g, err := ParseGrace(grace, s.cfg.Grace)
	if err != nil {
		return nil, err
	}
	var reqs []*request
	seen := map[string]bool{}
	err = Parse(format, r, func(d Departure) error {
		req, err := s.check(d.Person, d.DepartedAt, g, format)
		if err != nil {
			return warden.FieldErrorf(warden.ErrorField(err), "line %d: %s", d.Line, warden.ErrorMessage(err))
		}
		if !seen[req.person] {
			seen[req.person] = true
			reqs = append(reqs, req)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, warden.FieldErrorf("file", "the list names nobody")
	}
	out := &warden.OffboardImportResult{People: len(reqs), Results: make([]*warden.OffboardResult, 0, len(reqs))}
	for _, req := range reqs {
		res, err := s.start(ctx, req)
		if err != nil {
			return out, err
		}
		if res.Created {
			out.Created++
		} else {
			out.Existing++
		}
		out.Results = append(out.Results, res)
	}
	return out, nil
}

// FindOffboarding implements warden.OffboardingService.
func (s *Service) FindOffboarding(ctx context.Context, id string) (*warden.Offboarding, error) {
	return s.cfg.Store.FindOffboarding(ctx, id)
}

// FindOffboardings implements warden.OffboardingService.
func (s *Service) FindOffboardings(ctx context.Context, f warden.OffboardingFilter) ([]*warden.Offboarding, string, error) {
	return s.cfg.Store.FindOffboardings(ctx, f)
}
