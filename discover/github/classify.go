package github

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// Values of programmatic_access_type.
const (
	accessAppServer   = "GitHub App server-to-server token"
	accessAppUser     = "GitHub App user-to-server token"
	accessOAuth       = "OAuth access token"
	accessPATClassic  = "Personal access token (classic)"
	accessPATFine     = "Fine-grained personal access token"
	accessDeployKey   = "Deploy key"
	accessSSHKey      = "SSH key"
	labelType         = "github.type"
	labelDiscoveredBy = "discovered-by"
)

// classify finds the NHI an event is about (see the package
// documentation) and fills the event's principal, session and credential.
func classify(r *record, e *warden.Event) Actor {
	switch {
	case strings.HasPrefix(r.Action, "workflows.") && r.Repo != "" && r.HeadBranch != "":
		return workflow(r, e)
	case isAppBot(r):
		slug := appSlug(r)
		e.Principal = "app/" + slug
		return Actor{Identity: newIdentity(r, warden.KindOAuthApp, e.Principal, slug, "github_app"), Keep: true}
	case r.AccessType == accessOAuth:
		app := orElse(r.OAuthAppID, r.OAuthApp)
		if app == "" {
			break
		}
		e.Principal, e.Session = "oauth-app/"+app, r.Actor
		id := newIdentity(r, warden.KindOAuthApp, e.Principal, orElse(r.OAuthApp, "OAuth app "+app), "oauth_app")
		return Actor{Identity: id, Credential: tokenCredential(r, e, id, warden.CredentialToken), Keep: true}
	case r.AccessType == accessPATClassic || r.AccessType == accessPATFine:
		id := patIdentity(r, r.Actor, r.AccessType == accessPATClassic)
		e.Principal = id.ExternalID
		if id.Kind != warden.KindBot {
			e.Session = r.Actor
		}
		return Actor{Identity: id, Credential: tokenCredential(r, e, id, warden.CredentialAPIKey), Keep: true}
	case r.AccessType == accessDeployKey && r.Repo != "":
		fp := sshFingerprint(r.HashedToken)
		if fp == "" {
			break
		}
		id := deployKey(r, fp)
		cred := sshCredential(id, fp, r.KeyTitle)
		e.Principal, e.CredentialID = id.ExternalID, cred.Credential.PublicID
		return Actor{Identity: id, Credential: cred, Keep: true}
	case r.AccessType == accessSSHKey && isMachineUser(r.Actor, r.ActorIsBot):
		id := newIdentity(r, warden.KindBot, "user/"+r.Actor, r.Actor, "machine_user")
		e.Principal = id.ExternalID
		var cred *warden.ImportedCredential
		if fp := sshFingerprint(r.HashedToken); fp != "" {
			cred = sshCredential(id, fp, "")
			e.CredentialID = cred.Credential.PublicID
		}
		return Actor{Identity: id, Credential: cred, Keep: true}
	}
	return administrative(r, e)
}

// administrative handles events by people: those that create or change an
// NHI are kept with the NHI as resource; the others are skipped.
func administrative(r *record, e *warden.Event) Actor {
	switch {
	case strings.HasPrefix(r.Action, "integration_installation.") && r.Integration != "":
		slug := appSlug(r)
		e.Resource = "app/" + slug
		id := newIdentity(r, warden.KindOAuthApp, e.Resource, slug, "github_app")
		if r.Installation != "" {
			discover.SetLabel(id, "github.installation_id", r.Installation)
		}
		return Actor{Identity: id, Keep: true}
	case strings.HasPrefix(r.Action, "org.oauth_app_access") && orElse(r.OAuthAppID, r.OAuthApp) != "":
		app := orElse(r.OAuthAppID, r.OAuthApp)
		e.Resource = "oauth-app/" + app
		return Actor{Identity: newIdentity(r, warden.KindOAuthApp, e.Resource, orElse(r.OAuthApp, "OAuth app "+app), "oauth_app"), Keep: true}
	case strings.HasPrefix(r.Action, "personal_access_token.") && r.TokenID != "":
		owner := orElse(r.User, r.Actor)
		id := patIdentity(r, owner, false)
		e.Resource = id.ExternalID
		if e.Outcome != warden.OutcomeAllow {
			// A refused request gives the token no access: no identity.
			return Actor{Keep: true}
		}
		return Actor{Identity: id, Keep: true}
	case strings.HasPrefix(r.Action, "public_key.") && r.Repo != "" && r.KeyFingerprint != "":
		fp := strings.TrimPrefix(r.KeyFingerprint, "SHA256:")
		id := deployKey(r, fp)
		e.Resource = id.ExternalID
		if strings.HasSuffix(r.Action, ".delete") {
			return Actor{Keep: true}
		}
		return Actor{Identity: id, Credential: sshCredential(id, fp, r.KeyTitle), Keep: true}
	}
	if isMachineUser(r.Actor, r.ActorIsBot) {
		id := newIdentity(r, warden.KindBot, "user/"+r.Actor, r.Actor, "machine_user")
		e.Principal = id.ExternalID
		return Actor{Identity: id, Keep: true}
	}
	return Actor{}
}

// workflow maps an Actions job or run to its OIDC subject.
func workflow(r *record, e *warden.Event) Actor {
	ref := r.HeadBranch
	if !strings.HasPrefix(ref, "refs/") {
		ref = "refs/heads/" + ref
	}
	sub := "repo:" + r.Repo + ":ref:" + ref
	e.Principal, e.Session, e.Resource = sub, r.WorkflowRunID, r.Repo
	id := newIdentity(r, warden.KindCIIdentity, sub, sub, "actions_workflow")
	discover.SetLabel(id, "github.repo", r.Repo)
	if r.JobWorkflowRef != "" {
		discover.SetLabel(id, "github.workflow", r.JobWorkflowRef)
	}
	if r.IDTokenWrite {
		discover.SetLabel(id, "github.oidc", "true")
		e.Resource = "token.actions.githubusercontent.com"
	}
	return Actor{Identity: id, Keep: true}
}

func newIdentity(r *record, kind warden.IdentityKind, externalID, name, typ string) *warden.Identity {
	id := &warden.Identity{
		Kind: kind, Provider: warden.ProviderGitHub,
		ExternalID: discover.CleanText(externalID, warden.MaxExternalIDLen), Name: discover.CleanText(name, warden.MaxNameLen),
		Labels: map[string]string{labelDiscoveredBy: Source, labelType: typ},
	}
	if r.Org != "" {
		discover.SetLabel(id, "github.org", r.Org)
	}
	return id
}

// patIdentity is the identity a personal access token belongs to: its
// machine user, or the token itself.
func patIdentity(r *record, owner string, classic bool) *warden.Identity {
	typ := "pat_fine_grained"
	if classic {
		typ = "pat_classic"
	}
	if isMachineUser(owner, r.ActorIsBot && owner == r.Actor) {
		id := newIdentity(r, warden.KindBot, "user/"+owner, owner, "machine_user")
		return id
	}
	key := r.TokenID
	if key == "" {
		key = "sha256:" + tokenHex(r.HashedToken)
	}
	id := newIdentity(r, warden.KindAPIKey, "pat/"+key, owner+" "+strings.ReplaceAll(typ, "_", " ")+" "+key, typ)
	discover.SetLabel(id, "github.user", owner)
	if r.TokenScopes != "" {
		discover.SetLabel(id, "github.token_scopes", r.TokenScopes)
	}
	return id
}

func deployKey(r *record, fp string) *warden.Identity {
	id := newIdentity(r, warden.KindCIIdentity, "deploy-key/"+r.Repo+"/"+fp, orElse(r.KeyTitle, "deploy key of "+r.Repo), "deploy_key")
	discover.SetLabel(id, "github.repo", r.Repo)
	return id
}

// tokenCredential is the token an event was made with, and sets the
// event's credential id; nil when the log has neither its id nor its hash.
func tokenCredential(r *record, e *warden.Event, id *warden.Identity, typ warden.CredentialType) *warden.ImportedCredential {
	fp := tokenHex(r.HashedToken)
	var pid string
	switch {
	case r.TokenID != "":
		pid = "github-token:" + r.TokenID
	case fp != "":
		pid = "github-token-sha256:" + fp
	default:
		return nil
	}
	e.CredentialID = pid
	c := &warden.ImportedCredential{
		Identity:   warden.IdentityRef{Provider: id.Provider, ExternalID: id.ExternalID},
		Credential: warden.Credential{Type: typ, PublicID: pid, Fingerprint: fp, Status: warden.CredentialActive, Description: discover.CleanText(r.AccessType+" seen in the GitHub audit log", warden.MaxTextLen)},
	}
	if r.TokenScopes != "" {
		c.Credential.Description = discover.CleanText(c.Credential.Description+"; scopes "+r.TokenScopes, warden.MaxTextLen)
	}
	return c
}

func sshCredential(id *warden.Identity, fp, title string) *warden.ImportedCredential {
	desc := "SSH key seen in the GitHub audit log"
	if title != "" {
		desc = discover.CleanText("SSH key "+title, warden.MaxTextLen)
	}
	return &warden.ImportedCredential{
		Identity:   warden.IdentityRef{Provider: id.Provider, ExternalID: id.ExternalID},
		Credential: warden.Credential{Type: warden.CredentialSSHKey, PublicID: "SHA256:" + fp, Status: warden.CredentialActive, Description: desc},
	}
}

// tokenHex turns hashed_token (base64 SHA-256) into lower-case hex, or ""
// when it is not a SHA-256 digest.
func tokenHex(hashed string) string {
	b, err := base64.StdEncoding.DecodeString(hashed)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(hashed)
	}
	if err != nil || len(b) != 32 {
		return ""
	}
	return hex.EncodeToString(b)
}

// sshFingerprint turns hashed_token of a key into the SHA256 fingerprint
// OpenSSH prints (unpadded base64), or "".
func sshFingerprint(hashed string) string {
	if tokenHex(hashed) == "" {
		return ""
	}
	return strings.TrimRight(hashed, "=")
}

// isAppBot reports whether a GitHub App acted (as its bot user or with an
// installation token).
func isAppBot(r *record) bool {
	if strings.HasSuffix(r.Actor, "[bot]") {
		return true
	}
	return r.Integration != "" && (r.AccessType == accessAppServer || r.AccessType == accessAppUser)
}

func appSlug(r *record) string {
	if s, ok := strings.CutSuffix(r.Actor, "[bot]"); ok && s != "" {
		return s
	}
	return r.Integration
}

// isMachineUser guesses whether a login is an account run by a program;
// see the package documentation.
func isMachineUser(login string, bot bool) bool {
	if login == "" {
		return false
	}
	if bot {
		return true
	}
	l := strings.ToLower(login)
	for _, suffix := range []string{"bot", "-ci", "-automation", "-svc"} {
		if strings.HasSuffix(l, suffix) {
			return true
		}
	}
	return strings.HasPrefix(l, "svc-")
}

// outcomeOf reads refusals from the action name or an HTTP status.
func outcomeOf(r *record) warden.Outcome {
	switch {
	case r.StatusCode == 401 || r.StatusCode == 403 || r.StatusCode == 404:
		return warden.OutcomeDeny
	case r.StatusCode >= 400:
		return warden.OutcomeError
	}
	for _, s := range []string{"_denied", ".deny", "_rejected", ".reject", "_blocked"} {
		if strings.HasSuffix(r.Action, s) {
			return warden.OutcomeDeny
		}
	}
	return warden.OutcomeAllow
}

func errorCodeOf(r *record) string {
	if r.StatusCode != 0 {
		return "HTTP" + strconv.Itoa(r.StatusCode)
	}
	return r.Action
}

func orElse(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
