package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/issuer"
)

// maxOAuthFormBytes bounds an OAuth request body: two tokens of at most
// issuer.MaxTokenBytes each, a client assertion and small parameters.
const maxOAuthFormBytes = 4*issuer.MaxTokenBytes + 4<<10

// oauthRepeatable are the token-endpoint parameters RFC 8693 §2.1 lets a
// client give more than once; RFC 6749 §3.2 forbids it for the rest.
var oauthRepeatable = map[string]bool{"audience": true, "resource": true}

type oauthFormKey struct{}

// oauthForm returns the form authenticateWorkload parsed.
func oauthForm(r *http.Request) url.Values {
	f, _ := r.Context().Value(oauthFormKey{}).(url.Values)
	return f
}

// parseOAuthForm reads an application/x-www-form-urlencoded body (RFC 6749
// §3.2) strictly: the content type, a size limit, no parameter twice
// unless repeatable, valid UTF-8 without control characters. Parameters
// the server does not know are ignored, as RFC 6749 §3.1 requires.
func (s *Server) parseOAuthForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	bad := func(status int, desc string) error {
		return &issuer.OAuthError{Code: "invalid_request", Status: status, Description: desc}
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, bad(http.StatusUnsupportedMediaType, "Content-Type must be application/x-www-form-urlencoded")
	}
	if r.URL.RawQuery != "" {
		return nil, bad(http.StatusBadRequest, "send parameters in the form body, not the query string")
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, min(s.maxBodyBytes, maxOAuthFormBytes)))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, bad(http.StatusRequestEntityTooLarge, "request body is larger than the limit")
		}
		return nil, bad(http.StatusBadRequest, "cannot read the request body")
	}
	form, err := url.ParseQuery(string(data))
	if err != nil {
		return nil, bad(http.StatusBadRequest, "the form body is malformed")
	}
	for name, vs := range form {
		if len(vs) > 1 && !oauthRepeatable[name] {
			return nil, bad(http.StatusBadRequest, "parameter "+clip(name)+" is given more than once")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) || hasControl(v) {
				return nil, bad(http.StatusBadRequest, "parameter "+clip(name)+" holds invalid characters")
			}
		}
	}
	return form, nil
}

func hasControl(s string) bool {
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// oauthError writes an RFC 6749 §5.2 error response. Domain errors map to
// the nearest OAuth code; internal errors are logged and answered with
// server_error, their text never shown.
func (s *Server) oauthError(w http.ResponseWriter, r *http.Request, err error) {
	var oe *issuer.OAuthError
	if !errors.As(err, &oe) {
		msg := warden.ErrorMessage(err)
		switch warden.ErrorCode(err) {
		case warden.EUNAUTHORIZED:
			oe = &issuer.OAuthError{Code: "invalid_client", Status: http.StatusUnauthorized, Description: msg}
		case warden.EFORBIDDEN:
			oe = &issuer.OAuthError{Code: "unauthorized_client", Status: http.StatusBadRequest, Description: msg}
		case warden.EINVALID, warden.ENOTFOUND, warden.ECONFLICT:
			oe = &issuer.OAuthError{Code: "invalid_request", Status: http.StatusBadRequest, Description: msg}
		case codeUnavailable:
			oe = &issuer.OAuthError{Code: "temporarily_unavailable", Status: http.StatusServiceUnavailable, Description: msg}
		case warden.ETOOLARGE:
			oe = &issuer.OAuthError{Code: "invalid_request", Status: http.StatusRequestEntityTooLarge, Description: msg}
		default:
			s.logger.LogAttrs(r.Context(), slog.LevelError, "internal error",
				slog.String("method", r.Method), slog.String("route", r.Pattern), slog.String("error", err.Error()))
			oe = &issuer.OAuthError{Code: "server_error", Status: http.StatusInternalServerError, Description: "Internal error."}
		}
	}
	if oe.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="warden"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(oe.Status)
	_ = json.NewEncoder(w).Encode(oe)
}

// handleOAuthToken is the token endpoint: client_credentials and RFC 8693
// token exchange for an authenticated workload.
func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request) {
	f := oauthForm(r)
	req := issuer.TokenRequest{
		GrantType: f.Get("grant_type"), Scope: f.Get("scope"), Audience: f["audience"], Resource: f["resource"],
		SubjectToken: f.Get("subject_token"), SubjectTokenType: f.Get("subject_token_type"),
		ActorToken: f.Get("actor_token"), ActorTokenType: f.Get("actor_token_type"),
		RequestedTokenType: f.Get("requested_token_type"),
	}
	resp, err := s.issuer.Token(r.Context(), callerFromContext(r.Context()), req)
	if err != nil {
		s.oauthError(w, r, err)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	s.writeJSON(w, r, http.StatusOK, resp)
}

// handleOAuthIntrospect answers RFC 7662 for an authenticated workload:
// {"active": false} for any token that is not live, without saying why.
func (s *Server) handleOAuthIntrospect(w http.ResponseWriter, r *http.Request) {
	tok := oauthForm(r).Get("token")
	if tok == "" {
		s.oauthError(w, r, &issuer.OAuthError{Code: "invalid_request", Status: http.StatusBadRequest, Description: "token is required"})
		return
	}
	out, err := s.issuer.Introspect(r.Context(), tok)
	if err != nil {
		s.oauthError(w, r, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, out)
}

// handleOAuthRevoke serves RFC 7009: 200 with an empty body whether or not
// the token was valid (§2.2); a token of another client is refused.
func (s *Server) handleOAuthRevoke(w http.ResponseWriter, r *http.Request) {
	if err := s.issuer.RevokeToken(r.Context(), callerFromContext(r.Context()), oauthForm(r).Get("token")); err != nil {
		s.oauthError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
