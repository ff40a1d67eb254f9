package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/issuer"
)

// Issuer is what the API needs of warden's credential issuer; the
// *issuer.Issuer implements it.
type Issuer interface {
	TrustDomain() string
	IssuerURL() string
	// Authenticate attests a workload from the evidence it presented.
	Authenticate(ctx context.Context, ev issuer.Evidence) (*issuer.Caller, error)
	IssueX509SVID(ctx context.Context, c *issuer.Caller, csr []byte, ttl time.Duration) (*issuer.X509SVID, error)
	IssueJWTSVID(ctx context.Context, c *issuer.Caller, audience []string, ttl time.Duration) (*issuer.Token, error)
	Token(ctx context.Context, client *issuer.Caller, req issuer.TokenRequest) (*issuer.TokenResponse, error)
	Introspect(ctx context.Context, raw string) (*issuer.Introspection, error)
	RevokeToken(ctx context.Context, client *issuer.Caller, raw string) error
	Discovery() *issuer.Discovery
	JWKS() jose.JSONWebKeySet
	Bundle() map[string]any
	CRL(ctx context.Context) ([]byte, error)
	// SettleReplay records a deferred client-assertion jti that the
	// request did not record with a credential.
	SettleReplay(ctx context.Context, c *issuer.Caller) error
}

var _ Issuer = (*issuer.Issuer)(nil)

// workloadAuth marks, in Route.Permission, the routes that workloads call.
// They authenticate by attestation instead of an API token: a join token,
// a token of a trusted external OIDC issuer, an RFC 7523 client assertion
// signed with the key of an X.509-SVID warden issued (the SVID in x5c), or
// that SVID as an mTLS client certificate. No role grants it, so API tokens
// never reach these handlers.
const workloadAuth = warden.Permission("workload")

type callerKey struct{}

// callerFromContext returns the workload that authenticated the request.
func callerFromContext(ctx context.Context) *issuer.Caller {
	c, _ := ctx.Value(callerKey{}).(*issuer.Caller)
	return c
}

// mintsCredential reports whether the route mints a credential for its
// caller. There the client assertion's jti is recorded in the issuance
// transaction (one durable write instead of two), and settled after the
// handler when nothing was minted.
func mintsCredential(pattern string) bool {
	switch pattern {
	case "/v1/svid/x509", "/v1/svid/jwt", "/v1/oauth2/token":
		return true
	}
	return false
}

// isOAuthRoute reports whether the route answers RFC 6749 errors
// ({"error": ...}) instead of problem documents.
func isOAuthRoute(pattern string) bool { return strings.HasPrefix(pattern, "/v1/oauth2/") }

// authenticateWorkload attests the caller of a workload route and puts it,
// and its actor for audit records, into the request's context. OAuth
// routes read the client assertion from their form body (RFC 7523 §2.2),
// which is parsed here, strictly, once.
func (s *Server) authenticateWorkload(rt Route, next http.Handler) http.Handler {
	oauth := isOAuthRoute(rt.Pattern)
	deferReplay := mintsCredential(rt.Pattern)
	fail := func(w http.ResponseWriter, r *http.Request, err error) {
		if oauth {
			s.oauthError(w, r, err)
			return
		}
		s.Error(w, r, err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.issuer == nil {
			fail(w, r, warden.Errorf(codeUnavailable, "the credential issuer is not configured on this server"))
			return
		}
		ev := issuer.Evidence{Audience: s.issuer.IssuerURL() + r.URL.Path, DeferReplayCheck: deferReplay}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			ev.PeerCerts = r.TLS.PeerCertificates
		}
		methods := 0
		ctx := r.Context()
		if oauth {
			form, err := s.parseOAuthForm(w, r)
			if err != nil {
				fail(w, r, err)
				return
			}
			typ, assertion := form.Get("client_assertion_type"), form.Get("client_assertion")
			if typ != "" || assertion != "" {
				if typ != issuer.ClientAssertionJWT || assertion == "" {
					fail(w, r, &issuer.OAuthError{Code: "invalid_client", Status: http.StatusUnauthorized,
						Description: "client_assertion_type must be " + issuer.ClientAssertionJWT + " with a client_assertion"})
					return
				}
				ev.Assertion = assertion
				methods++
			}
			ctx = context.WithValue(ctx, oauthFormKey{}, form)
		}
		if values := r.Header.Values("Authorization"); len(values) > 0 {
			cred, err := workloadBearer(values)
			if err != nil {
				fail(w, r, err)
				return
			}
			if strings.HasPrefix(cred, "wjt_") {
				ev.JoinToken = cred
			} else {
				ev.Assertion = cred
			}
			methods++
		}
		if methods > 1 {
			// RFC 6749 §2.3: a client uses exactly one authentication method.
			fail(w, r, warden.Errorf(warden.EUNAUTHORIZED, "use one client authentication method: Authorization or client_assertion, not both"))
			return
		}
		c, err := s.issuer.Authenticate(ctx, ev)
		if err != nil {
			if code := warden.ErrorCode(err); code != warden.EFORBIDDEN && code != warden.EINTERNAL {
				err = warden.Errorf(warden.EUNAUTHORIZED, "workload authentication failed: %s", warden.ErrorMessage(err))
			}
			fail(w, r, err)
			return
		}
		actor := warden.Actor{Type: "workload", ID: c.SPIFFEID, Name: c.Identity.Name}
		noteActor(r.Context(), actor)
		ctx = warden.NewContextWithActor(ctx, actor)
		ctx = context.WithValue(ctx, callerKey{}, c)
		if deferReplay {
			// Whatever the handler answers, even by panicking, the
			// assertion is used up when it returns.
			defer func() {
				if err := s.issuer.SettleReplay(context.WithoutCancel(ctx), c); err != nil {
					s.logger.LogAttrs(ctx, slog.LevelWarn, "client assertion not used up after the request",
						slog.String("route", rt.Pattern), slog.String("spiffe_id", c.SPIFFEID), slog.String("error", err.Error()))
				}
			}()
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// workloadBearer reads a workload's credential from its single
// Authorization: Bearer header. JWTs are longer than API tokens, so the
// limit is the issuer's token limit.
func workloadBearer(values []string) (string, error) {
	bad := warden.Errorf(warden.EUNAUTHORIZED, "send one Authorization: Bearer <join token, OIDC token or client assertion> header")
	if len(values) != 1 {
		return "", bad
	}
	scheme, cred, ok := strings.Cut(values[0], " ")
	cred = strings.TrimLeft(cred, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" || strings.ContainsAny(cred, " \t") {
		return "", bad
	}
	if len(cred) > issuer.MaxTokenBytes {
		return "", warden.Errorf(warden.EUNAUTHORIZED, "the credential is longer than %d bytes", issuer.MaxTokenBytes)
	}
	return cred, nil
}

// needIssuer answers 503 instead of calling h when the server has no
// issuer configured.
func (s *Server) needIssuer(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.issuer == nil || s.issuerStore == nil {
			s.Error(w, r, warden.Errorf(codeUnavailable, "the credential issuer is not configured on this server"))
			return
		}
		h(w, r)
	}
}
