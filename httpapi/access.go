package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/warden-nhi/warden"
)

// Just-in-time access: requests, approvals, grants, break-glass.

// breakGlassHeader carries the break-glass token, the second factor of an
// emergency request, beside the caller's own Authorization.
const breakGlassHeader = "X-Warden-Break-Glass"

// workloadToken marks, in Route.Permission, a route only workloads and
// agents call, with a warden-issued token; no role grants it, so API
// tokens get 403.
const workloadToken = warden.Permission("workload-token")

// acceptsWorkloadTokens reports whether the route also lets a workload or
// agent in with a warden-issued token (audience: warden's issuer URL)
// instead of an API token.
func acceptsWorkloadTokens(method, pattern string) bool {
	switch method + " " + pattern {
	case "POST /v1/access/requests", "GET /v1/access/requests/{id}", "POST /v1/access/requests/{id}/token":
		return true
	}
	return false
}

// looksLikeJWT reports whether a bearer credential is a compact JWS
// (three dot-separated parts) rather than an API token.
func looksLikeJWT(s string) bool { return strings.Count(s, ".") == 2 }

// authenticateAccess lets in an API token whose role grants perm, or a
// workload or agent presenting a warden-issued token for warden itself.
func (s *Server) authenticateAccess(perm warden.Permission, next http.Handler) http.Handler {
	api := s.authenticate(perm, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearerToken(r)
		if !ok || !looksLikeJWT(secret) {
			api.ServeHTTP(w, r)
			return
		}
		if s.issuer == nil || s.verifier == nil {
			s.Error(w, r, warden.Errorf(warden.EUNAUTHORIZED, "this server verifies no workload tokens: use an API token"))
			return
		}
		claims, err := s.verifier.VerifyToken(r.Context(), secret, s.issuer.IssuerURL())
		if err != nil {
			if warden.ErrorCode(err) == warden.EINTERNAL {
				s.Error(w, r, err)
				return
			}
			s.Error(w, r, warden.Errorf(warden.EUNAUTHORIZED, "the workload token is not valid: %s", warden.ErrorMessage(err)))
			return
		}
		actor := warden.Actor{Type: "workload", ID: claims.Subject}
		caller := &warden.AccessCaller{Actor: actor, Kind: warden.RequesterWorkload, IdentityID: claims.IdentityID, TokenID: claims.ID, Actors: claims.Actors}
		if len(claims.Actors) > 0 {
			caller.Kind = warden.RequesterAgent
			actor.Name = "for " + claims.Subject
			actor.ID = claims.Actors[0]
			caller.Actor = actor
		}
		noteActor(r.Context(), actor)
		ctx := warden.NewContextWithActor(r.Context(), actor)
		ctx = warden.NewContextWithAccessCaller(ctx, caller)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireAccess answers 503 when no access service is wired.
func (s *Server) requireAccess(w http.ResponseWriter, r *http.Request) bool {
	if s.access == nil {
		s.Error(w, r, warden.Errorf(codeUnavailable, "just-in-time access is not configured on this server"))
		return false
	}
	return true
}

// accessCreated is the answer to a new request: the request, and the
// token of a workload grant when one was minted, or why none could be
// (the grant stands; the workload may take its token later).
type accessCreated struct {
	*warden.AccessRequest
	Token      *warden.GrantToken `json:"token,omitempty"`
	TokenError string             `json:"token_error,omitempty"`
}

func (s *Server) handleRequestAccess(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	var in warden.AccessInput
	if err := s.decodeRequest(w, r, &in, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	req, tok, err := s.access.RequestAccess(r.Context(), in)
	if err != nil && (req == nil || warden.ErrorCode(err) == warden.EINTERNAL) {
		s.Error(w, r, err)
		return
	}
	out := accessCreated{AccessRequest: req, Token: tok}
	if err != nil {
		out.TokenError = warden.ErrorMessage(err)
	}
	s.writeJSON(w, r, http.StatusCreated, out)
}

var accessListParams = []string{"identity", "provider", "status", "needs_review", "cursor", "limit"}

func (s *Server) handleListAccessRequests(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	serveList(s, w, r, accessListParams, s.accessRequestFilter, s.access.FindAccessRequests)
}

func (s *Server) accessRequestFilter(r *http.Request, q queryParams) (warden.AccessRequestFilter, error) {
	f := warden.AccessRequestFilter{Status: warden.AccessStatus(q.get("status")), Cursor: q.get("cursor")}
	var err error
	if f.Limit, err = q.limit(); err != nil {
		return f, err
	}
	review, err := q.boolean("needs_review")
	if err != nil {
		return f, err
	}
	f.NeedsReview = review != nil && *review
	f.IdentityID, err = s.identityParam(r, q)
	return f, err
}

func (s *Server) handleGetAccessRequest(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	serveByID(s, w, r, func(ctx context.Context, id string) (*warden.AccessRequest, error) {
		req, err := s.access.FindAccessRequest(ctx, id)
		if err != nil {
			return nil, err
		}
		if c := warden.AccessCallerFromContext(ctx); c.Kind != warden.RequesterPerson && c.IdentityID != req.IdentityID {
			// A workload sees only its own requests; others do not exist for it.
			return nil, warden.Errorf(warden.ENOTFOUND, "access request %q not found", clip(id))
		}
		return req, nil
	})
}

func (s *Server) handleGrantUsage(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	serveByID(s, w, r, s.access.GrantUsage)
}

// accessAnswer is the body of approve, deny, revoke and review.
type accessAnswer struct {
	Comment string `json:"comment"`
	Reason  string `json:"reason"`
	Outcome string `json:"outcome"`
	Notes   string `json:"notes"`
}

func (s *Server) handleApproveAccess(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{allowEmpty: true}, func(ctx context.Context, id string, a accessAnswer) (*warden.AccessRequest, error) {
		return s.access.ApproveAccess(ctx, id, a.Comment)
	})
}

func (s *Server) handleDenyAccess(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{allowEmpty: true}, func(ctx context.Context, id string, a accessAnswer) (*warden.AccessRequest, error) {
		return s.access.DenyAccess(ctx, id, a.Comment)
	})
}

func (s *Server) handleRevokeAccess(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{}, func(ctx context.Context, id string, a accessAnswer) (*warden.AccessRequest, error) {
		return s.access.RevokeAccess(ctx, id, a.Reason)
	})
}

func (s *Server) handleReviewAccess(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{}, func(ctx context.Context, id string, a accessAnswer) (*warden.AccessRequest, error) {
		return s.access.ReviewAccess(ctx, id, a.Outcome, a.Notes)
	})
}

// grantTokenRequest is the body of POST /v1/access/requests/{id}/token.
type grantTokenRequest struct {
	Audience []string `json:"audience"`
}

func (s *Server) handleGrantToken(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	serveChange(s, w, r, decodeOptions{}, func(ctx context.Context, id string, in grantTokenRequest) (*warden.GrantToken, error) {
		return s.access.GrantToken(ctx, id, in.Audience)
	})
}

// handleBreakGlass takes emergency access: the caller's API token and a
// break-glass token (role breakglass, a different token) in
// X-Warden-Break-Glass.
func (s *Server) handleBreakGlass(w http.ResponseWriter, r *http.Request) {
	if !s.requireAccess(w, r) {
		return
	}
	if _, err := parseQuery(r, nil); err != nil {
		s.Error(w, r, err)
		return
	}
	values := r.Header.Values(breakGlassHeader)
	if len(values) == 0 {
		s.Error(w, r, warden.FieldErrorf(breakGlassHeader, "break-glass needs its second factor: send a break-glass token (role %s) in %s", warden.RoleBreakGlass, breakGlassHeader))
		return
	}
	if len(values) != 1 || values[0] == "" || len(values[0]) > maxTokenLen {
		s.Error(w, r, warden.Errorf(warden.EUNAUTHORIZED, "send exactly one break-glass token in %s", breakGlassHeader))
		return
	}
	glass, err := s.tokens.AuthenticateToken(r.Context(), strings.TrimSpace(values[0]))
	if err != nil {
		if warden.ErrorCode(err) == warden.EINTERNAL {
			s.Error(w, r, err)
			return
		}
		s.Error(w, r, warden.Errorf(warden.EUNAUTHORIZED, "the break-glass token is invalid, expired or revoked"))
		return
	}
	primary := tokenFromContext(r.Context())
	if glass.Role != warden.RoleBreakGlass || glass.ID == primary.ID {
		s.Error(w, r, warden.Errorf(warden.EUNAUTHORIZED, "%s must carry a separate token with role %s", breakGlassHeader, warden.RoleBreakGlass))
		return
	}
	var in warden.AccessInput
	if err := s.decodeRequest(w, r, &in, decodeOptions{}); err != nil {
		s.Error(w, r, err)
		return
	}
	caller := &warden.AccessCaller{Actor: warden.ActorFromContext(r.Context()), Kind: warden.RequesterPerson, BreakGlassToken: glass.ID + "(" + glass.Name + ")"}
	ctx := warden.NewContextWithAccessCaller(r.Context(), caller)
	req, err := s.access.BreakGlass(ctx, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusCreated, req)
}
