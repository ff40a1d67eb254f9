package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/warden-nhi/warden"
)

// maxTokenLen bounds a bearer token before it reaches the token store.
const maxTokenLen = 512

// allPermissions lists every permission, for whoami.
var allPermissions = []warden.Permission{
	warden.PermInventoryRead, warden.PermInventoryWrite, warden.PermAuditRead,
	warden.PermTokensManage, warden.PermMetricsRead, warden.PermAccessApprove, warden.PermAccessRequest,
	warden.PermPolicyRead, warden.PermPolicyWrite, warden.PermAuthorize,
	warden.PermIssuerRead, warden.PermIssuerManage,
	warden.PermOnboardRequest, warden.PermReviewAnswer,
}

type tokenKey struct{}

// tokenFromContext returns the API token that authenticated the request.
func tokenFromContext(ctx context.Context) *warden.APIToken {
	tok, _ := ctx.Value(tokenKey{}).(*warden.APIToken)
	return tok
}

// authenticate lets a request through to next only with a live bearer token
// whose role grants perm: 401 without a valid token, 403 with a token whose
// role lacks the permission. The token's actor goes into the context so that
// the store attributes audit records to it.
func (s *Server) authenticate(perm warden.Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := bearerToken(r)
		if !ok {
			s.Error(w, r, warden.Errorf(warden.EUNAUTHORIZED, "a bearer token is required: send Authorization: Bearer <token>"))
			return
		}
		tok, err := s.tokens.AuthenticateToken(r.Context(), secret)
		if err != nil {
			if warden.ErrorCode(err) == warden.EINTERNAL {
				s.Error(w, r, err)
				return
			}
			s.Error(w, r, warden.Errorf(warden.EUNAUTHORIZED, "the bearer token is invalid, expired or revoked"))
			return
		}
		if !tok.Role.Can(perm) {
			s.Error(w, r, warden.Errorf(warden.EFORBIDDEN, "role %s lacks permission %s", tok.Role, perm))
			return
		}
		actor := warden.Actor{Type: "token", ID: tok.ID, Name: tok.Name, Role: tok.Role}
		noteActor(r.Context(), actor)
		ctx := warden.NewContextWithActor(r.Context(), actor)
		ctx = context.WithValue(ctx, tokenKey{}, tok)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearerToken extracts the token of the request's single Authorization
// header with the Bearer scheme (RFC 6750). Anything else, including several
// Authorization headers or an oversize token, is no token.
func bearerToken(r *http.Request) (string, bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	if token == "" || len(token) > maxTokenLen || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// whoami is the body of GET /v1/whoami.
type whoami struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Role        warden.Role         `json:"role"`
	Permissions []warden.Permission `json:"permissions"`
}

func (s *Server) handleWhoami(w http.ResponseWriter, r *http.Request) {
	tok := tokenFromContext(r.Context())
	out := whoami{ID: tok.ID, Name: tok.Name, Role: tok.Role, Permissions: []warden.Permission{}}
	for _, p := range allPermissions {
		if tok.Role.Can(p) {
			out.Permissions = append(out.Permissions, p)
		}
	}
	s.writeJSON(w, r, http.StatusOK, out)
}
