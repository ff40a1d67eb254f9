package k8s

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// AuditSource is the name of the Kubernetes audit-log importer and the
// events' source.
const AuditSource = "k8s-audit"

// Stages of an audit event that are imported; RequestReceived and
// ResponseStarted repeat the auditID of the final stage and are skipped.
const (
	stageComplete = "ResponseComplete"
	stagePanic    = "Panic"
)

// auditRecord is the part of an audit.k8s.io/v1 Event warden uses.
type auditRecord struct {
	Kind, APIVersion, AuditID, Stage, RequestURI, Verb, UserAgent string
	Username                                                      string
	PodName, CredentialID                                         string
	SourceIP                                                      string
	Resource, Subresource, Namespace, Name, APIGroup              string
	HasObject                                                     bool
	Code                                                          int
	Reason                                                        string
	Decision                                                      string
	Received, StageTime                                           time.Time
}

// AuditParser streams audit events from JSON Lines (the log backend's
// file, one audit.k8s.io/v1 Event per line), holding one in memory.
//
// Mapping: only events of service accounts (user
// system:serviceaccount:<ns>:<name>, the identity the RBAC import
// creates) are kept; people, nodes and control-plane components are read
// and skipped, as are the RequestReceived and ResponseStarted stages.
// Action is "<verb> <resource>" with the API group and subresource as RBAC
// writes them ("get secrets", "patch deployments.apps",
// "create pods/exec"), or "<verb> <path>" for non-resource URLs; Resource
// is "/namespaces/<ns>/<resource>/<name>" (or the URL path); Session the
// pod a bound token belongs to; CredentialID its credential id
// ("JTI=..."); SourceIP the first of sourceIPs; Outcome from the response
// code (401 and 403, or an authorization decision of forbid, are deny;
// other codes of 400 and above error), ErrorCode the response reason; exec
// and attach are Interactive.
type AuditParser struct {
	ref     string
	values  *discover.ValueReader
	n       int
	skipped int
	rec     auditRecord
}

// NewAuditParser prepares to read r (plain; see discover.Open for gzip).
func NewAuditParser(r *bufio.Reader, ref string) (*AuditParser, error) {
	first, err := discover.FirstByte(r)
	if err != nil {
		return nil, discover.DecodeError(ref, 0, 0, err)
	}
	if first != 0 && first != '{' {
		return nil, discover.Malformed(ref, 0, "expected JSON Lines of audit.k8s.io/v1 Events, found %q", first)
	}
	return &AuditParser{ref: ref, values: discover.NewValueReader(r)}, nil
}

// Records returns how many events were read.
func (p *AuditParser) Records() int { return p.n }

// Skipped returns how many events were read but not kept.
func (p *AuditParser) Skipped() int { return p.skipped }

// Next decodes the next event and reports whether there was one.
func (p *AuditParser) Next() (bool, error) {
	data, err := p.values.Next()
	if err == io.EOF {
		return false, nil
	}
	p.n++
	if err != nil {
		return false, discover.DecodeError(p.ref, p.n, 0, err)
	}
	p.rec = auditRecord{}
	if err := decodeAudit(data, &p.rec); err != nil {
		return false, discover.DecodeError(p.ref, p.n, 0, err)
	}
	return true, nil
}

// Event normalises the current record into e (overwritten completely). It
// returns the service account that acted, or keep false when the record
// is skipped.
func (p *AuditParser) Event(e *warden.Event) (principal *warden.Identity, keep bool, err error) {
	r := &p.rec
	if r.Kind != "" && r.Kind != "Event" {
		return nil, false, discover.Malformed(p.ref, p.n, "kind %q is not an audit Event", discover.CleanText(r.Kind, 40))
	}
	if r.AuditID == "" || r.Verb == "" || r.Username == "" || (r.Received.IsZero() && r.StageTime.IsZero()) {
		return nil, false, discover.Malformed(p.ref, p.n, "an audit event needs auditID, verb, user.username and requestReceivedTimestamp")
	}
	ns, name, isSA := serviceAccountOf(r.Username)
	if !isSA || (r.Stage != stageComplete && r.Stage != stagePanic) {
		p.skipped++
		return nil, false, nil
	}
	t := r.Received
	if t.IsZero() {
		t = r.StageTime
	}
	*e = warden.Event{
		Time: t.UTC(), Source: AuditSource, RawID: r.AuditID, SourceRef: p.ref, Provider: warden.ProviderKubernetes,
		Principal: r.Username, CredentialID: r.CredentialID, Session: r.PodName,
		Action: r.Verb + " " + actionTarget(r), Resource: resourcePath(r), SourceIP: r.SourceIP, UserAgent: r.UserAgent,
		Outcome:     auditOutcome(r),
		Interactive: r.Subresource == "exec" || r.Subresource == "attach",
	}
	if e.Outcome != warden.OutcomeAllow {
		e.ErrorCode = r.Reason
		if e.ErrorCode == "" && r.Code != 0 {
			e.ErrorCode = "HTTP " + strconv.Itoa(r.Code)
		}
		if e.ErrorCode == "" {
			e.ErrorCode = "Forbidden"
		}
	}
	for _, s := range []*string{&e.RawID, &e.Principal, &e.CredentialID, &e.Session, &e.Action, &e.Resource, &e.SourceIP, &e.UserAgent, &e.ErrorCode} {
		if len(*s) > 1024 {
			*s = discover.CleanText(*s, 1024)
		}
	}
	id := &warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: r.Username,
		Name: name, Labels: map[string]string{"namespace": ns, "discovered-by": AuditSource}}
	if id.Validate() != nil {
		return nil, true, nil
	}
	return id, true, nil
}

// serviceAccountOf splits system:serviceaccount:<ns>:<name>.
func serviceAccountOf(user string) (ns, name string, ok bool) {
	rest, ok := strings.CutPrefix(user, "system:serviceaccount:")
	if !ok {
		return "", "", false
	}
	ns, name, ok = strings.Cut(rest, ":")
	return ns, name, ok && ns != "" && name != "" && !strings.Contains(name, ":")
}

// actionTarget is the resource as RBAC writes it, or the URL path.
func actionTarget(r *auditRecord) string {
	if !r.HasObject || r.Resource == "" {
		return urlPath(r.RequestURI)
	}
	t := r.Resource
	if r.APIGroup != "" {
		t += "." + r.APIGroup
	}
	if r.Subresource != "" {
		t += "/" + r.Subresource
	}
	return t
}

func resourcePath(r *auditRecord) string {
	if !r.HasObject || r.Resource == "" {
		return urlPath(r.RequestURI)
	}
	var b strings.Builder
	if r.Namespace != "" {
		b.WriteString("/namespaces/" + r.Namespace)
	}
	b.WriteString("/" + r.Resource)
	if r.APIGroup != "" {
		b.WriteString("." + r.APIGroup)
	}
	if r.Name != "" {
		b.WriteString("/" + r.Name)
	}
	if r.Subresource != "" {
		b.WriteString("/" + r.Subresource)
	}
	return b.String()
}

// urlPath drops the query of a request URI: it can carry commands and
// tokens, and is not the resource.
func urlPath(uri string) string {
	p, _, _ := strings.Cut(uri, "?")
	return p
}

func auditOutcome(r *auditRecord) warden.Outcome {
	switch {
	case r.Code == 401 || r.Code == 403 || r.Decision == "forbid":
		return warden.OutcomeDeny
	case r.Code >= 400 || r.Stage == stagePanic:
		return warden.OutcomeError
	}
	return warden.OutcomeAllow
}

// decodeAudit fills r from one event's JSON.
func decodeAudit(data []byte, r *auditRecord) error {
	return discover.Members(data, func(key string, v []byte) error {
		switch key {
		case "kind":
			return auditStr(key, v, &r.Kind)
		case "apiVersion":
			return auditStr(key, v, &r.APIVersion)
		case "auditID":
			return auditStr(key, v, &r.AuditID)
		case "stage":
			return auditStr(key, v, &r.Stage)
		case "requestURI":
			return auditStr(key, v, &r.RequestURI)
		case "verb":
			return auditStr(key, v, &r.Verb)
		case "userAgent":
			return auditStr(key, v, &r.UserAgent)
		case "requestReceivedTimestamp":
			return auditTime(key, v, &r.Received)
		case "stageTimestamp":
			return auditTime(key, v, &r.StageTime)
		case "sourceIPs":
			if discover.IsNull(v) {
				return nil
			}
			if len(v) == 0 || v[0] != '[' {
				return fmt.Errorf("field sourceIPs must be an array")
			}
			return discover.Elements(v, func(e []byte) error {
				if r.SourceIP != "" {
					return nil
				}
				return auditStr("sourceIPs", e, &r.SourceIP)
			})
		case "user":
			return auditObject(key, v, func(k string, v []byte) error {
				switch k {
				case "username":
					return auditStr("user.username", v, &r.Username)
				case "extra":
					return auditObject("user.extra", v, func(k string, v []byte) error {
						switch k {
						case "authentication.kubernetes.io/pod-name":
							return first("user.extra."+k, v, &r.PodName)
						case "authentication.kubernetes.io/credential-id":
							return first("user.extra."+k, v, &r.CredentialID)
						}
						return nil
					})
				}
				return nil
			})
		case "objectRef":
			if discover.IsNull(v) {
				return nil
			}
			r.HasObject = true
			return auditObject(key, v, func(k string, v []byte) error {
				switch k {
				case "resource":
					return auditStr("objectRef.resource", v, &r.Resource)
				case "subresource":
					return auditStr("objectRef.subresource", v, &r.Subresource)
				case "namespace":
					return auditStr("objectRef.namespace", v, &r.Namespace)
				case "name":
					return auditStr("objectRef.name", v, &r.Name)
				case "apiGroup":
					return auditStr("objectRef.apiGroup", v, &r.APIGroup)
				}
				return nil
			})
		case "responseStatus":
			return auditObject(key, v, func(k string, v []byte) error {
				switch k {
				case "code":
					if discover.IsNull(v) {
						return nil
					}
					n, err := strconv.Atoi(string(v))
					if err != nil || n < 0 || n > 999 {
						return fmt.Errorf("field responseStatus.code must be an HTTP status code")
					}
					r.Code = n
				case "reason":
					return auditStr("responseStatus.reason", v, &r.Reason)
				}
				return nil
			})
		case "annotations":
			return auditObject(key, v, func(k string, v []byte) error {
				if k == "authorization.k8s.io/decision" {
					return auditStr("annotations."+k, v, &r.Decision)
				}
				return nil
			})
		}
		return nil
	})
}

func auditStr(field string, v []byte, dst *string) error {
	s, err := discover.String(v)
	if err != nil {
		if discover.IsNotString(err) {
			return fmt.Errorf("field %s must be a string", field)
		}
		return err
	}
	*dst = s
	return nil
}

func auditTime(field string, v []byte, dst *time.Time) error {
	var s string
	if err := auditStr(field, v, &s); err != nil || s == "" {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("field %s %q is not an RFC 3339 time", field, discover.CleanText(s, 40))
	}
	*dst = t
	return nil
}

// auditObject walks an object member; null is empty.
func auditObject(field string, v []byte, fn func(string, []byte) error) error {
	if discover.IsNull(v) {
		return nil
	}
	if len(v) == 0 || v[0] != '{' {
		return fmt.Errorf("field %s must be an object", field)
	}
	return discover.Members(v, fn)
}

// first decodes the first string of a string array (user.extra values).
func first(field string, v []byte, dst *string) error {
	if discover.IsNull(v) {
		return nil
	}
	if len(v) == 0 || v[0] != '[' {
		return fmt.Errorf("field %s must be an array of strings", field)
	}
	return discover.Elements(v, func(e []byte) error {
		if *dst != "" {
			return nil
		}
		return auditStr(field, e, dst)
	})
}
