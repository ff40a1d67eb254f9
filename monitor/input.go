package monitor

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
	"github.com/warden-nhi/warden/discover/aws"
	"github.com/warden-nhi/warden/discover/github"
	"github.com/warden-nhi/warden/discover/k8s"
)

// Input formats ReadEvents recognises.
const (
	FormatCloudTrail  = "cloudtrail"   // S3-delivery {"Records":[...]} or JSON Lines of CloudTrail records
	FormatK8sAudit    = "k8s-audit"    // JSON Lines of audit.k8s.io/v1 Events (the log backend's file)
	FormatGitHubAudit = "github-audit" // a GitHub organisation audit log: API JSON array pages or JSON Lines
	FormatEvents      = "events"       // JSON Lines of warden events (the body of POST /v1/events)
)

// MaxEventLine bounds one JSON Lines record of warden events.
const MaxEventLine = 1 << 20

// DetectFormat tells the format of an input from its first record without
// consuming it.
func DetectFormat(r *bufio.Reader, ref string) (string, error) {
	first, err := discover.FirstByte(r)
	if err != nil {
		return "", discover.DecodeError(ref, 0, 0, err)
	}
	if first == 0 {
		return FormatEvents, nil
	}
	if first == '[' {
		return FormatGitHubAudit, nil // the audit-log API's pages
	}
	if first != '{' {
		return "", discover.Malformed(ref, 0, "expected JSON objects (CloudTrail, Kubernetes or GitHub audit records, or warden events), found %q", first)
	}
	head, _ := r.Peek(8192)
	line, _, _ := bytes.Cut(head, []byte("\n"))
	switch {
	case bytes.Contains(head[:min(len(head), 64)], []byte(`"Records"`)),
		bytes.Contains(line, []byte(`"eventVersion"`)) || bytes.Contains(line, []byte(`"eventSource"`)):
		return FormatCloudTrail, nil
	case bytes.Contains(line, []byte(`"auditID"`)) && bytes.Contains(line, []byte(`"audit.k8s.io/`)):
		return FormatK8sAudit, nil
	case bytes.Contains(line, []byte(`"_document_id"`)):
		return FormatGitHubAudit, nil
	case bytes.Contains(line, []byte(`"raw_id"`)):
		return FormatEvents, nil
	}
	return "", discover.Malformed(ref, 1, "unrecognised record: expected CloudTrail, Kubernetes audit (audit.k8s.io) or GitHub audit-log (_document_id) records, or warden events (JSON Lines with raw_id)")
}

// ReadEvents streams the events of one input (gzip allowed) to fn, one at
// a time; fn must not keep the pointer past its return unless it copies.
// Malformed input is EINVALID naming ref and the record.
func ReadEvents(r io.Reader, ref string, fn func(*warden.Event) error) error {
	br, err := discover.Open(r, ref, 0)
	if err != nil {
		return err
	}
	format, err := DetectFormat(br, ref)
	if err != nil {
		return err
	}
	switch format {
	case FormatCloudTrail:
		return readCloudTrail(br, ref, fn)
	case FormatK8sAudit:
		return readK8sAudit(br, ref, fn)
	case FormatGitHubAudit:
		return readGitHubAudit(br, ref, fn)
	}
	return readEventLines(br, ref, fn)
}

// readK8sAudit reads the service accounts' completed requests of a
// Kubernetes audit log; people, nodes, control-plane components and
// intermediate stages are skipped, as the k8s-audit importer does.
func readK8sAudit(br *bufio.Reader, ref string, fn func(*warden.Event) error) error {
	p, err := k8s.NewAuditParser(br, ref)
	if err != nil {
		return err
	}
	var e warden.Event
	for {
		ok, err := p.Next()
		if err != nil || !ok {
			return err
		}
		_, keep, err := p.Event(&e)
		if err != nil {
			return err
		}
		if keep {
			if err := fn(&e); err != nil {
				return err
			}
		}
	}
}

// readGitHubAudit reads the events of a GitHub audit log that involve a
// non-human identity (apps, tokens, deploy keys, workflows, machine
// users), with the identity's external id as principal; people's own
// events are skipped, as the github-audit importer does.
func readGitHubAudit(br *bufio.Reader, ref string, fn func(*warden.Event) error) error {
	p, err := github.NewParser(br, ref)
	if err != nil {
		return err
	}
	var e warden.Event
	for {
		ok, err := p.Next()
		if err != nil || !ok {
			return err
		}
		a, err := p.Event(&e)
		if err != nil {
			return err
		}
		if a.Keep {
			if err := fn(&e); err != nil {
				return err
			}
		}
	}
}

func readCloudTrail(br *bufio.Reader, ref string, fn func(*warden.Event) error) error {
	p, err := aws.NewCloudTrailParser(br, ref)
	if err != nil {
		return err
	}
	var e warden.Event
	for {
		ok, err := p.Next()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if _, err := p.Event(&e); err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
}

// readEventLines reads JSON Lines of warden events, strictly: unknown
// fields and missing time, source or raw_id are errors naming the line.
func readEventLines(br *bufio.Reader, ref string, fn func(*warden.Event) error) error {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 64<<10), MaxEventLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		e, err := DecodeEvent(line)
		if err != nil {
			return fmt.Errorf("%s line %d: %w", ref, n, err)
		}
		if e.SourceRef == "" {
			e.SourceRef = ref
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return warden.Errorf(warden.ETOOLARGE, "%s line %d: longer than %d bytes", ref, n+1, MaxEventLine)
		}
		return discover.DecodeError(ref, n+1, 0, err)
	}
	return nil
}

// DecodeEvent decodes one warden event strictly and checks the fields the
// monitor needs. Errors are EINVALID naming the field.
func DecodeEvent(data []byte) (*warden.Event, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e warden.Event
	if err := dec.Decode(&e); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, warden.FieldErrorf(ute.Field, "%s must be a JSON %s", ute.Field, ute.Type.Kind())
		}
		return nil, warden.Errorf(warden.EINVALID, "not a warden event: %v", err)
	}
	if dec.More() {
		return nil, warden.Errorf(warden.EINVALID, "one event per line")
	}
	if err := CheckEvent(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

// CheckEvent validates an event from outside and fills defaults: time,
// source, raw_id and principal are required; outcome defaults to allow.
func CheckEvent(e *warden.Event) error {
	switch {
	case e.Time.IsZero():
		return warden.FieldErrorf("time", "an event needs a time")
	case e.Source == "" || len(e.Source) > 64:
		return warden.FieldErrorf("source", "an event needs a source of at most 64 bytes")
	case e.RawID == "" || len(e.RawID) > 1024:
		return warden.FieldErrorf("raw_id", "an event needs the raw id of its record (at most 1024 bytes)")
	case e.Principal == "" || len(e.Principal) > warden.MaxExternalIDLen:
		return warden.FieldErrorf("principal", "an event needs the principal that acted")
	case e.Provider != "" && !e.Provider.Valid():
		return warden.FieldErrorf("provider", "provider %q is not a valid provider name", e.Provider)
	}
	for field, v := range map[string]string{"action": e.Action, "resource": e.Resource, "source_ip": e.SourceIP,
		"user_agent": e.UserAgent, "region": e.Region, "session": e.Session, "credential_id": e.CredentialID, "error_code": e.ErrorCode, "source_ref": e.SourceRef} {
		if len(v) > 2048 {
			return warden.FieldErrorf(field, "%s is longer than 2048 bytes", field)
		}
	}
	switch e.Outcome {
	case "":
		e.Outcome = warden.OutcomeAllow
	case warden.OutcomeAllow, warden.OutcomeDeny, warden.OutcomeError:
	default:
		return warden.FieldErrorf("outcome", "outcome %q is not allow, deny or error", e.Outcome)
	}
	e.Time = e.Time.UTC()
	return nil
}
