// Package github imports a GitHub organisation's audit log — the REST API's
// JSON arrays (`gh api --paginate orgs/ORG/audit-log?include=all`, one array
// per page, concatenated) or the JSON Lines of an export or stream — as
// activity events of the organisation's non-human identities.
//
// Mapping (provider github; Event.Action is the audit action, Resource the
// repository or the NHI acted on, SourceIP actor_ip, Region the actor's
// country code):
//
//   - GitHub Apps: an actor "<slug>[bot]", or a GitHub App token with an
//     integration, is the oauth_app identity "app/<slug>"; installing an
//     app (integration_installation.*) creates it too. App installation
//     and user-to-server tokens live an hour or eight, and are not
//     recorded as credentials.
//   - OAuth apps: a call with an "OAuth access token" is the oauth_app
//     identity "oauth-app/<oauth_application_id>" acting for the user
//     (Event.Session); org.oauth_app_access_approved creates it. Its token
//     is a token credential.
//   - Personal access tokens ("Personal access token (classic)",
//     "Fine-grained personal access token", personal_access_token.*
//     events): each token is an api_key identity "pat/<token_id>" owned by
//     its user (label github.user, Event.Session), with an api_key
//     credential; a machine user's tokens (a bot account: login ending in
//     "bot", "-ci", "-automation" or "-svc", or starting with "svc-")
//     belong to the bot identity "user/<login>" instead.
//   - Deploy keys ("Deploy key" access, public_key.* events on a
//     repository): the ci_identity "deploy-key/<repo>/<SHA256 fingerprint>"
//     with an ssh_key credential "SHA256:<fingerprint>".
//   - Actions: a workflow job or run is the ci_identity
//     "repo:<owner/repo>:ref:refs/heads/<branch>", the subject GitHub's OIDC
//     tokens carry (so it is the same identity a cloud's web-identity log
//     names); a job with id-token: write is OIDC use (label github.oidc).
//
// Credentials get public id "github-token:<token_id>" when the log gives
// the token's id, else "github-token-sha256:<hex>", and as fingerprint the
// hex SHA-256 of the token that hashed_token carries (base64), which is
// warden's fingerprint of the secret: a leaked token matches it. Events by
// people with no NHI involved (repo.create in the web UI) are read and
// skipped (ImportReport.Skipped); events by people that change an NHI
// (installing an app, approving a token) are kept with the person as
// principal and the NHI as resource.
package github

import (
	"bufio"
	"io"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// Source is the importer's name and the events' source.
const Source = "github-audit"

// Parser streams audit-log events, holding one in memory at a time.
type Parser struct {
	ref     string
	in      *bufio.Reader
	values  *discover.ValueReader
	done    bool
	arrays  bool // the input is JSON arrays (API pages), not JSON Lines
	n       int
	skipped int
	rec     record
}

// NewParser prepares to read r (plain; see discover.Open for gzip). ref
// names the input in errors and in the events' SourceRef.
func NewParser(r *bufio.Reader, ref string) (*Parser, error) {
	p := &Parser{ref: ref, in: r, values: discover.NewValueReader(r)}
	first, err := discover.FirstByte(r)
	if err != nil {
		return nil, discover.DecodeError(ref, 0, 0, err)
	}
	switch first {
	case 0:
		p.done = true
	case '[':
		p.arrays = true
		r.ReadByte()
		p.values.InArray = true
	case '{':
	default:
		return nil, discover.Malformed(ref, 0, "expected a JSON array of audit-log events or JSON Lines, found %q", first)
	}
	return p, nil
}

// Next decodes the next event into the parser's buffer and reports whether
// there was one.
func (p *Parser) Next() (bool, error) {
	for !p.done {
		data, err := p.values.Next()
		if err == io.EOF {
			if !p.arrays {
				p.done = true
				return false, nil
			}
			// Another page ([...][...]) or the end.
			b, err := discover.FirstByte(p.in)
			if err != nil {
				return false, discover.DecodeError(p.ref, p.n, 0, err)
			}
			switch b {
			case 0:
				p.done = true
				return false, nil
			case '[':
				p.in.ReadByte()
				p.values.InArray = true
				continue
			}
			return false, discover.Malformed(p.ref, 0, "data after the end of the array")
		}
		p.n++
		if err != nil {
			return false, discover.DecodeError(p.ref, p.n, 0, err)
		}
		p.rec = record{}
		if err := decodeRecord(data, &p.rec); err != nil {
			return false, discover.DecodeError(p.ref, p.n, 0, err)
		}
		return true, nil
	}
	return false, nil
}

// Records returns how many events were read.
func (p *Parser) Records() int { return p.n }

// Skipped returns how many events were read but not kept (see Event).
func (p *Parser) Skipped() int { return p.skipped }

// Actor is what an event says about the identities involved.
type Actor struct {
	// Identity is the NHI the event is about, created not onboarded when
	// it is unknown; nil when no NHI is involved.
	Identity *warden.Identity
	// Credential is the long-lived credential the NHI used, or nil.
	Credential *warden.ImportedCredential
	// Keep is false for events by people that involve no NHI.
	Keep bool
}

// Event normalises the current record into e (overwritten completely)
// and says which identity and credential it involves.
func (p *Parser) Event(e *warden.Event) (Actor, error) {
	r := &p.rec
	if r.DocumentID == "" || r.Time.IsZero() || r.Action == "" {
		return Actor{}, discover.Malformed(p.ref, p.n, "an audit-log event needs _document_id, @timestamp (or created_at) and action")
	}
	*e = warden.Event{
		Time: r.Time, Source: Source, RawID: r.DocumentID, SourceRef: p.ref, Provider: warden.ProviderGitHub,
		Principal: r.Actor, Action: r.Action, Resource: r.Repo, SourceIP: r.ActorIP, UserAgent: r.UserAgent,
		Region: r.CountryCode, Outcome: outcomeOf(r),
	}
	if e.Resource == "" && r.Org != "" {
		e.Resource = r.Org
	}
	if e.Outcome != warden.OutcomeAllow {
		e.ErrorCode = errorCodeOf(r)
	}
	a := classify(r, e)
	if !a.Keep {
		p.skipped++
	}
	if a.Identity != nil && a.Identity.Validate() != nil {
		a.Identity, a.Credential = nil, nil
	}
	if a.Credential != nil && a.Credential.Credential.Validate() != nil {
		a.Credential = nil
		e.CredentialID = ""
	}
	clip(e)
	return a, nil
}

// clip keeps every text field of an event within the store's limits.
func clip(e *warden.Event) {
	for _, s := range []*string{&e.RawID, &e.SourceRef, &e.Principal, &e.CredentialID, &e.Session, &e.Action, &e.Resource, &e.SourceIP, &e.UserAgent, &e.Region, &e.ErrorCode} {
		if len(*s) > 1024 {
			*s = discover.CleanText(*s, 1024)
		}
	}
}
