package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/warden-nhi/warden"
)

// Cookies. The session cookie holds the session secret (never the API
// token); the sign-in cookie holds a random value the sign-in form repeats,
// so that another site cannot sign a browser in to an account of its choice.
const (
	sessionCookie = "warden_session"
	signInCookie  = "warden_signin"
	csrfField     = "csrf"
	maxFormBytes  = 64 << 10
)

type sessionKey struct{}

// signedIn is the session of a request, with what the page needs of it.
type signedIn struct {
	*warden.Session
	csrf string
}

func sessionFrom(ctx context.Context) *signedIn {
	s, _ := ctx.Value(sessionKey{}).(*signedIn)
	return s
}

// csrfToken derives the CSRF token of a session from its secret: bound to
// the session, never stored, and useless without the cookie it comes from.
func csrfToken(sessionSecret string) string {
	mac := hmac.New(sha256.New, []byte(sessionSecret))
	mac.Write([]byte("warden console csrf v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// requireSession lets a request through only with a live session whose role
// grants perm. Without a session, page loads go to the sign-in page (and
// come back after it); anything else gets 401. A role without perm gets a
// 403 page.
func (s *Server) requireSession(perm warden.Permission, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		var sess *warden.Session
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			c, err = nil, warden.Errorf(warden.EUNAUTHORIZED, "no session cookie")
		} else {
			sess, err = s.cfg.Sessions.AuthenticateSession(r.Context(), c.Value)
		}
		if err != nil {
			if warden.ErrorCode(err) == warden.EINTERNAL {
				s.renderError(w, r, err)
				return
			}
			if c != nil {
				s.clearCookie(w, r, sessionCookie)
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, Prefix+"login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.renderStatus(w, r, http.StatusUnauthorized, "Sign in required", "Your session has ended. Sign in again and repeat the change.")
			return
		}
		if !sess.Role.Can(perm) {
			s.renderStatus(w, r, http.StatusForbidden, "Not allowed", "The "+string(sess.Role)+" role cannot do this (it needs "+string(perm)+").")
			return
		}
		ctx := context.WithValue(r.Context(), sessionKey{}, &signedIn{Session: sess, csrf: csrfToken(c.Value)})
		ctx = warden.NewContextWithActor(ctx, sess.Actor())
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// requireCSRF refuses a state-changing request whose form does not carry the
// session's CSRF token, or that comes from another origin.
func (s *Server) requireCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			s.renderStatus(w, r, http.StatusBadRequest, "Bad form", "The form could not be read: it is malformed or larger than 64 KiB.")
			return
		}
		sess := sessionFrom(r.Context())
		if !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(r.PostForm.Get(csrfField)), []byte(sess.csrf)) != 1 {
			s.renderStatus(w, r, http.StatusForbidden, "Request refused", "The form's security token is missing or stale. Reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether a request's Origin (or, without one, its
// Referer) names this host. Browsers send Origin on every POST; a request
// with neither header passes, since only the CSRF token can tell then.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return true
	}
	u, err := url.Parse(src)
	return err == nil && u.Host == r.Host
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || s.cfg.SecureCookies,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	s.setCookie(w, r, name, "", -1)
}

// signInPage is the data of the sign-in form.
type signInPage struct {
	Next  string
	Nonce string
	Error string
}

func (s *Server) handleSignInForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.renderSignIn(w, r, http.StatusOK, "")
}

func (s *Server) renderSignIn(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var b [24]byte
	_, _ = rand.Read(b[:])
	nonce := base64.RawURLEncoding.EncodeToString(b[:])
	s.setCookie(w, r, signInCookie, nonce, 600)
	s.render(w, r, status, "login", signInPage{Next: safeNext(r.FormValue("next")), Nonce: nonce, Error: msg})
}

// handleSignIn exchanges an API token for a session cookie.
func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.renderSignIn(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	c, err := r.Cookie(signInCookie)
	if err != nil || !sameOrigin(r) || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("nonce"))) != 1 {
		s.renderSignIn(w, r, http.StatusForbidden, "The sign-in form expired. Please try again.")
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if token == "" {
		s.renderSignIn(w, r, http.StatusBadRequest, "Enter an API token (it starts with wdn_).")
		return
	}
	_, secret, err := s.cfg.Sessions.CreateSession(r.Context(), token)
	if err != nil {
		if warden.ErrorCode(err) == warden.EINTERNAL {
			s.renderError(w, r, err)
			return
		}
		s.renderSignIn(w, r, http.StatusUnauthorized, "That token is not valid, or it was revoked. Create one with: warden admin token create --role auditor --name console")
		return
	}
	s.clearCookie(w, r, signInCookie)
	s.setCookie(w, r, sessionCookie, secret, int(warden.SessionMaxAge.Seconds()))
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

// handleSignOut ends the session.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.cfg.Sessions.DeleteSession(r.Context(), c.Value); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	s.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, Prefix+"login") || strings.ContainsAny(next, "\\\r\n") {
		return Prefix
	}
	return next
}
