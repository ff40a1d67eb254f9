package console

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/warden-nhi/warden"
)

// reviewDateLayout is the format of the next-review date field (an HTML
// date input's value).
const reviewDateLayout = "2006-01-02"

// identityEditPage is the data of the identity edit form.
type identityEditPage struct {
	Identity   *warden.Identity
	NextReview string // YYYY-MM-DD or ""
}

func identityURL(id string) string { return Prefix + "identities/" + url.PathEscape(id) }

// findWritableIdentity loads the identity of the {id} path value and
// refuses a deprovisioned one, which can no longer change.
func (s *Server) findWritableIdentity(r *http.Request) (*warden.Identity, error) {
	identity, err := s.cfg.Identities.FindIdentityByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if identity.Status == warden.StatusDeprovisioned {
		return nil, warden.Errorf(warden.ECONFLICT, "%s is deprovisioned and can no longer change", identity.Name)
	}
	return identity, nil
}

func (s *Server) handleIdentityEditForm(w http.ResponseWriter, r *http.Request) {
	identity, err := s.findWritableIdentity(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	page := identityEditPage{Identity: identity}
	if identity.NextReviewAt != nil {
		page.NextReview = identity.NextReviewAt.UTC().Format(reviewDateLayout)
	}
	s.render(w, r, http.StatusOK, "identity_edit", view{Title: "Edit " + identity.Name, Nav: "identities", Data: page})
}

// handleIdentityEdit saves owner, purpose, environment and review date.
// Only the fields that differ from the identity go into the update, so a
// form posted over a newer change does not undo it field by field.
func (s *Server) handleIdentityEdit(w http.ResponseWriter, r *http.Request) {
	identity, err := s.findWritableIdentity(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	upd, lines, err := identityEdit(identity, r.PostForm)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	back := identityURL(identity.ID)
	if upd.Empty() {
		redirectDone(w, r, back, "unchanged")
		return
	}
	if !s.confirmed(w, r, confirmation{
		Heading: "Save changes to " + identity.Name + "?", Lines: lines, Button: "Save", Cancel: back,
	}) {
		return
	}
	if _, err := s.cfg.Identities.UpdateIdentity(r.Context(), identity.ID, upd); err != nil {
		s.renderError(w, r, err)
		return
	}
	redirectDone(w, r, back, "owner")
}

// identityEdit turns the edit form into an update holding only what
// changed, validated, and one confirmation line per change. A field the
// form does not carry is left alone.
func identityEdit(identity *warden.Identity, form url.Values) (warden.IdentityUpdate, []string, error) {
	var upd warden.IdentityUpdate
	var lines []string
	text := func(name, label, old string, max int, set func(*string)) error {
		if _, ok := form[name]; !ok {
			return nil
		}
		v, err := formText(form, name, max, false)
		if err != nil || v == old {
			return err
		}
		set(&v)
		lines = append(lines, fmt.Sprintf("%s: '%s' → '%s'", label, old, v))
		return nil
	}
	if err := text("owner", "Owner", identity.Owner, warden.MaxNameLen, func(v *string) { upd.Owner = v }); err != nil {
		return upd, nil, err
	}
	if err := text("purpose", "Purpose", identity.Purpose, warden.MaxTextLen, func(v *string) { upd.Purpose = v }); err != nil {
		return upd, nil, err
	}
	if err := text("environment", "Environment", identity.Environment, 32, func(v *string) { upd.Environment = v }); err != nil {
		return upd, nil, err
	}
	if _, ok := form["next_review"]; ok {
		old := ""
		if identity.NextReviewAt != nil {
			old = identity.NextReviewAt.UTC().Format(reviewDateLayout)
		}
		v := strings.TrimSpace(form.Get("next_review"))
		switch {
		case v == old:
		case v == "":
			upd.ClearNextReview = true
			lines = append(lines, fmt.Sprintf("Next review: '%s' → '' (no review scheduled)", old))
		default:
			t, err := time.Parse(reviewDateLayout, v)
			if err != nil {
				return upd, nil, warden.FieldErrorf("next_review", "next_review must be a date as YYYY-MM-DD, not %q", clipText(v))
			}
			upd.NextReviewAt = &t
			lines = append(lines, fmt.Sprintf("Next review: '%s' → '%s'", old, v))
		}
	}
	return upd, lines, upd.Validate()
}

// formText returns a form field trimmed of surrounding space, checked as
// the domain checks text: at most max bytes of printable UTF-8, and
// present when required. Errors name the field.
func formText(form url.Values, name string, max int, required bool) (string, error) {
	v := strings.TrimSpace(form.Get(name))
	switch {
	case required && v == "":
		return "", warden.FieldErrorf(name, "%s is required", name)
	case len(v) > max:
		return "", warden.FieldErrorf(name, "%s is longer than %d bytes", name, max)
	case !utf8.ValidString(v):
		return "", warden.FieldErrorf(name, "%s is not valid UTF-8", name)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return "", warden.FieldErrorf(name, "%s contains a control character", name)
		}
	}
	return v, nil
}

// statusChange is a move of an identity between two statuses with a reason.
type statusChange struct {
	from, to warden.Status
	verb     string // "Quarantine", "Lift the quarantine of"
	button   string // the confirming button
	effect   string // what follows, for the confirmation
	danger   bool   // destructive
	done     string // flash key
	refusal  string // why another status cannot make this move
}

func (s *Server) handleQuarantine(w http.ResponseWriter, r *http.Request) {
	s.changeStatus(w, r, statusChange{
		from:    warden.StatusActive,
		to:      warden.StatusQuarantined,
		verb:    "Quarantine",
		button:  "Quarantine",
		effect:  "From now on the decision point denies every request by this identity.",
		danger:  true,
		done:    "quarantine",
		refusal: "only an active identity can be quarantined",
	})
}

func (s *Server) handleLift(w http.ResponseWriter, r *http.Request) {
	s.changeStatus(w, r, statusChange{
		from:    warden.StatusQuarantined,
		to:      warden.StatusActive,
		verb:    "Lift the quarantine of",
		button:  "Lift quarantine",
		effect:  "The decision point stops denying this identity for being quarantined.",
		done:    "lift",
		refusal: "only a quarantined identity can have its quarantine lifted",
	})
}

// changeStatus moves the {id} identity from c.from to c.to with the posted
// reason, after confirmation.
func (s *Server) changeStatus(w http.ResponseWriter, r *http.Request, c statusChange) {
	identity, err := s.findWritableIdentity(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	reason, err := formText(r.PostForm, "reason", warden.MaxTextLen, true)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if identity.Status != c.from {
		s.renderError(w, r, warden.Errorf(warden.ECONFLICT, "%s is %s: %s", identity.Name, identity.Status, c.refusal))
		return
	}
	back := identityURL(identity.ID)
	if !s.confirmed(w, r, confirmation{
		Heading: c.verb + " " + identity.Name + "?",
		Lines: []string{
			fmt.Sprintf("Status: '%s' → '%s'", c.from, c.to),
			fmt.Sprintf("Reason: '%s'", reason),
			c.effect,
		},
		Button: c.button, Danger: c.danger, Cancel: back,
	}) {
		return
	}
	to := c.to
	if _, err := s.cfg.Identities.UpdateIdentity(r.Context(), identity.ID, warden.IdentityUpdate{Status: &to, StatusReason: &reason}); err != nil {
		s.renderError(w, r, err)
		return
	}
	redirectDone(w, r, back, c.done)
}

// issuerNotConfigured is the answer to a revocation on a server without
// the issuer.
var issuerNotConfigured = warden.Errorf(warden.ENOTFOUND, "the issuer is not configured on this server")

// handleRevokeIssued revokes one issued credential and returns to its
// identity.
func (s *Server) handleRevokeIssued(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Issued == nil {
		s.renderError(w, r, issuerNotConfigured)
		return
	}
	cred, err := s.cfg.Issued.FindIssuedCredential(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	lines := []string{
		fmt.Sprintf("Credential: %s %s", cred.Kind, cred.ID),
		fmt.Sprintf("SPIFFE id: %s", cred.SPIFFEID),
		fmt.Sprintf("Expires: %s", when(cred.ExpiresAt)),
	}
	if cred.RevokedAt != nil {
		lines = append(lines, "It is already revoked; revoking it again changes nothing.")
	}
	s.revoke(w, r, warden.Revocation{CredentialID: cred.ID}, identityURL(cred.IdentityID), confirmation{
		Heading: "Revoke issued credential " + short(cred.ID) + "?", Lines: lines, Button: "Revoke",
	}, "Introspection and the decision point reject it at once.")
}

// handleRevokeAllIssued revokes every credential warden issued to the {id}
// identity.
func (s *Server) handleRevokeAllIssued(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Issued == nil {
		s.renderError(w, r, issuerNotConfigured)
		return
	}
	identity, err := s.cfg.Identities.FindIdentityByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.revoke(w, r, warden.Revocation{IdentityID: identity.ID}, identityURL(identity.ID), confirmation{
		Heading: "Revoke every credential issued to " + identity.Name + "?",
		Lines:   []string{"Every live X.509-SVID, JWT-SVID and access token warden issued to " + identity.Name + " stops working at once."},
		Button:  "Revoke all",
	}, "The workload can still ask for new credentials unless its registration entry is deleted or the identity is quarantined.")
}

// revoke reads the form's optional reason, confirms the revocation (c, then
// the reason, then the closing line) and applies it, returning to back.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request, rev warden.Revocation, back string, c confirmation, closing string) {
	reason, err := formText(r.PostForm, "reason", warden.MaxTextLen, false)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if reason != "" {
		c.Lines = append(c.Lines, fmt.Sprintf("Reason: '%s'", reason))
	}
	c.Lines = append(c.Lines, closing)
	c.Danger, c.Cancel = true, back
	if !s.confirmed(w, r, c) {
		return
	}
	rev.Reason = reason
	if _, err := s.cfg.Issued.RevokeIssued(r.Context(), rev); err != nil {
		s.renderError(w, r, err)
		return
	}
	redirectDone(w, r, back, "revoke")
}
