package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strings"

	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// HTTPRule maps proxied HTTP requests (Envoy ext_authz, nginx
// auth_request) to a Cedar action and resource. Method "" or "*" matches
// any method; Path matches exactly, or as a prefix when it ends in "*".
type HTTPRule struct {
	Method       string `json:"method"`
	Path         string `json:"path"`
	Action       string `json:"action"`
	ResourceType string `json:"resource_type,omitempty"` // default "Route"
	ResourceID   string `json:"resource_id,omitempty"`   // default: the request path
}

// HTTPMapping is an ordered list of rules; the first match wins. Requests
// no rule matches get action Action::"<METHOD>" on Route::"<path>".
type HTTPMapping struct {
	Rules []HTTPRule `json:"rules"`
}

// HTTPRequest is what a proxy tells warden about the request it holds.
type HTTPRequest struct {
	Method      string
	Path        string // may include a query string, which is dropped
	Host        string
	SourceIP    string
	Destination string
	Principal   string // identity reference (SPIFFE ID from an mTLS peer, ...)
	Token       string // bearer token presented by the caller
}

// ParseHTTPMapping decodes a mapping document strictly.
func ParseHTTPMapping(data []byte) (*HTTPMapping, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m HTTPMapping
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("http mapping: %w", err)
	}
	for i, r := range m.Rules {
		if r.Action == "" || r.Path == "" {
			return nil, fmt.Errorf("http mapping: rule %d needs a path and an action", i)
		}
		if _, err := types.NewEntityType(orDefault(r.ResourceType, "Route")); err != nil {
			return nil, fmt.Errorf("http mapping: rule %d: resource_type %q is not a Cedar type name", i, r.ResourceType)
		}
	}
	return &m, nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Request turns a proxied HTTP request into a decision request. The
// context carries method, path, host, source_ip and destination.
func (m *HTTPMapping) Request(h HTTPRequest) (*Request, error) {
	if h.Method == "" {
		return nil, warden.FieldErrorf("method", "the request method is missing")
	}
	if h.Path == "" || h.Path[0] != '/' {
		return nil, warden.FieldErrorf("path", "the request path must start with '/'")
	}
	path, _, _ := strings.Cut(h.Path, "?")
	action, rtype, rid := h.Method, "Route", path
	if m != nil {
		for _, r := range m.Rules {
			if r.Method != "" && r.Method != "*" && !strings.EqualFold(r.Method, h.Method) {
				continue
			}
			if p, prefix := strings.CutSuffix(r.Path, "*"); (prefix && strings.HasPrefix(path, p)) || (!prefix && path == r.Path) {
				action, rtype, rid = r.Action, orDefault(r.ResourceType, "Route"), orDefault(r.ResourceID, path)
				break
			}
		}
	}
	ctx := map[string]string{"method": h.Method, "path": path, "host": h.Host}
	if ip := net.ParseIP(h.SourceIP); ip != nil {
		ctx["source_ip"] = ip.String()
	}
	if h.Destination != "" {
		ctx["destination"] = h.Destination
	}
	rawCtx, _ := json.Marshal(ctx)
	req := &Request{Action: warden.EntityRef{Type: string(TypeAction), ID: action}, Resource: warden.EntityRef{Type: rtype, ID: rid}, Context: rawCtx}
	switch {
	case h.Token != "":
		req.Token = h.Token
	case h.Principal != "":
		req.Principal = &warden.EntityRef{Type: string(TypeIdentity), ID: h.Principal}
	default:
		return nil, warden.FieldErrorf("principal", "the request names no principal: present a warden token or a client certificate with a SPIFFE ID")
	}
	return req, nil
}
