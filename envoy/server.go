// Package envoy is warden's Envoy external authorization server: the
// ext_authz v3 gRPC Check service answering every proxied request with a
// decision of the policy engine.
package envoy

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
)

// Decider is the part of the policy engine the server needs.
type Decider interface {
	Decide(ctx context.Context, req *policy.Request, source string) (*policy.Decision, error)
}

// Server implements Envoy's envoy.service.auth.v3.Authorization service.
//
// The principal is, in order: the SPIFFE ID of the downstream peer's
// certificate (Envoy's source.principal, or the URI SAN of
// source.certificate), then a bearer token in the Authorization header
// (a warden-issued token). The action and resource come from the method
// and path through the HTTP mapping; source and destination addresses,
// host, method and path become the context.
type Server struct {
	authv3.UnimplementedAuthorizationServer
	decider Decider
	mapping *policy.HTTPMapping
	logger  *slog.Logger
}

// New returns a Server deciding with d and mapping requests with m (nil:
// the default mapping).
func New(d Decider, m *policy.HTTPMapping, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if m == nil {
		m = &policy.HTTPMapping{}
	}
	return &Server{decider: d, mapping: m, logger: logger}
}

// Register adds the service to a gRPC server.
func (s *Server) Register(g *grpc.Server) { authv3.RegisterAuthorizationServer(g, s) }

// Check implements the ext_authz Check call. Policy denials, missing
// principals and malformed requests are answered (PERMISSION_DENIED,
// UNAUTHENTICATED, INVALID_ARGUMENT with an HTTP denial for the client);
// only faults inside warden are gRPC errors, so Envoy's failure mode
// applies to them alone.
func (s *Server) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	h, err := httpRequest(req)
	if err != nil {
		return denied(code.Code_INVALID_ARGUMENT, typev3.StatusCode_BadRequest, warden.ErrorMessage(err), ""), nil
	}
	preq, err := s.mapping.Request(h)
	if err != nil {
		if warden.ErrorField(err) == "principal" {
			return denied(code.Code_UNAUTHENTICATED, typev3.StatusCode_Unauthorized, warden.ErrorMessage(err), ""), nil
		}
		return denied(code.Code_INVALID_ARGUMENT, typev3.StatusCode_BadRequest, warden.ErrorMessage(err), ""), nil
	}
	d, err := s.decider.Decide(ctx, preq, "envoy")
	if err != nil {
		if warden.ErrorCode(err) == warden.EINVALID {
			return denied(code.Code_INVALID_ARGUMENT, typev3.StatusCode_BadRequest, warden.ErrorMessage(err), ""), nil
		}
		s.logger.Error("ext_authz decision failed", "error", err)
		return nil, err
	}
	if !d.Allowed() {
		return denied(code.Code_PERMISSION_DENIED, typev3.StatusCode_Forbidden, "denied by policy", d.ID), nil
	}
	headers := []*corev3.HeaderValueOption{header("x-warden-decision-id", d.ID)}
	if d.IdentityID != "" {
		headers = append(headers, header("x-warden-identity", d.IdentityID))
	}
	return &authv3.CheckResponse{
		Status:       &rpcstatus.Status{Code: int32(code.Code_OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{Headers: headers}},
	}, nil
}

func header(k, v string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{Header: &corev3.HeaderValue{Key: k, Value: v}}
}

func denied(c code.Code, httpCode typev3.StatusCode, msg, decisionID string) *authv3.CheckResponse {
	var headers []*corev3.HeaderValueOption
	if decisionID != "" {
		headers = append(headers, header("x-warden-decision-id", decisionID))
	}
	return &authv3.CheckResponse{
		Status: &rpcstatus.Status{Code: int32(c), Message: msg},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status: &typev3.HttpStatus{Code: httpCode}, Headers: headers, Body: msg + "\n",
		}},
	}
}

// httpRequest extracts what the decision needs from a CheckRequest.
func httpRequest(req *authv3.CheckRequest) (policy.HTTPRequest, error) {
	attrs := req.GetAttributes()
	httpReq := attrs.GetRequest().GetHttp()
	if httpReq == nil {
		return policy.HTTPRequest{}, warden.FieldErrorf("attributes.request.http", "the check request carries no HTTP request")
	}
	h := policy.HTTPRequest{
		Method:      httpReq.GetMethod(),
		Path:        httpReq.GetPath(),
		Host:        httpReq.GetHost(),
		SourceIP:    addressIP(attrs.GetSource().GetAddress()),
		Destination: addressString(attrs.GetDestination().GetAddress()),
	}
	h.Principal = peerSPIFFEID(attrs.GetSource())
	if h.Principal == "" {
		if auth := httpReq.GetHeaders()["authorization"]; auth != "" {
			scheme, tok, ok := strings.Cut(auth, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
				return h, warden.FieldErrorf("authorization", "the Authorization header is not a bearer token")
			}
			h.Token = strings.TrimSpace(tok)
		}
	}
	return h, nil
}

// peerSPIFFEID returns the SPIFFE ID of the downstream peer: Envoy's
// principal when it is one, else the URI SAN of its certificate.
func peerSPIFFEID(p *authv3.AttributeContext_Peer) string {
	if strings.HasPrefix(p.GetPrincipal(), "spiffe://") {
		return p.GetPrincipal()
	}
	raw := p.GetCertificate()
	if raw == "" {
		return ""
	}
	pemText, err := url.QueryUnescape(raw)
	if err != nil {
		return ""
	}
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return ""
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return ""
	}
	for _, u := range cert.URIs {
		if u.Scheme == "spiffe" {
			return u.String()
		}
	}
	return ""
}

func addressIP(a *corev3.Address) string {
	if sa := a.GetSocketAddress(); sa != nil {
		return sa.GetAddress()
	}
	return ""
}

func addressString(a *corev3.Address) string {
	sa := a.GetSocketAddress()
	if sa == nil {
		return ""
	}
	return net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue())))
}
