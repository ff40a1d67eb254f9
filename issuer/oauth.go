package issuer

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/warden-nhi/warden"
)

// OAuth grant, token-type and client-assertion URIs.
const (
	GrantClientCredentials = "client_credentials"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
	TokenTypeAccessToken   = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT           = "urn:ietf:params:oauth:token-type:jwt"
	ClientAssertionJWT     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
)

// MaxDelegationDepth bounds the chain of actors in an exchanged token.
const MaxDelegationDepth = 5

// OAuthError is an RFC 6749 §5.2 error response.
type OAuthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	Status      int    `json:"-"`
}

func (e *OAuthError) Error() string { return "oauth error " + e.Code + ": " + e.Description }

func oauthErr(code, desc string) *OAuthError {
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	return &OAuthError{Code: code, Description: desc, Status: status}
}

// TokenRequest is a token-endpoint request after form decoding.
type TokenRequest struct {
	GrantType          string
	Scope              string
	Audience           []string
	Resource           []string
	SubjectToken       string
	SubjectTokenType   string
	ActorToken         string
	ActorTokenType     string
	RequestedTokenType string
}

// TokenResponse is the RFC 6749 / RFC 8693 success response.
type TokenResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type,omitempty"`
	TokenType       string `json:"token_type"`
	ExpiresIn       int    `json:"expires_in"`
	Scope           string `json:"scope,omitempty"`
}

// Token serves the token endpoint for an authenticated client. Errors are
// *OAuthError with RFC 6749/8693 codes, or internal errors.
func (is *Issuer) Token(ctx context.Context, client *Caller, req TokenRequest) (*TokenResponse, error) {
	switch req.GrantType {
	case GrantClientCredentials:
		return is.clientCredentials(ctx, client, req)
	case GrantTokenExchange:
		return is.exchange(ctx, client, req)
	case "":
		return nil, oauthErr("invalid_request", "grant_type is required")
	}
	return nil, oauthErr("unsupported_grant_type", "grant_type must be client_credentials or "+GrantTokenExchange)
}

// targets joins audience and resource parameters (RFC 8693 §2.1).
func targets(req TokenRequest) []string {
	out := append(slices.Clone(req.Audience), req.Resource...)
	slices.Sort(out)
	return slices.Compact(out)
}

func (is *Issuer) clientCredentials(ctx context.Context, c *Caller, req TokenRequest) (*TokenResponse, error) {
	aud := targets(req)
	if len(aud) == 0 {
		return nil, oauthErr("invalid_request", "audience (or resource) is required: warden issues audience-bound tokens")
	}
	for _, a := range aud {
		if !slices.Contains(c.Entry.Audiences, a) {
			return nil, oauthErr("invalid_target", "audience "+clip(a)+" is not allowed for "+c.SPIFFEID)
		}
	}
	scope := c.Entry.Scopes
	if req.Scope != "" {
		scope = strings.Fields(req.Scope)
		for _, s := range scope {
			if !slices.Contains(c.Entry.Scopes, s) {
				return nil, oauthErr("invalid_scope", "scope "+clip(s)+" is not allowed for "+c.SPIFFEID)
			}
		}
	}
	claims := is.newClaims(c, aud, ttlFor(0, time.Duration(c.Entry.JWTTTL), is.cfg.JWTTTL))
	claims.Scope, claims.ClientID = strings.Join(scope, " "), c.SPIFFEID
	tok, err := is.mintAndRecord(ctx, c, claims, warden.IssuedAccessToken, typAccessToken, nil)
	if err != nil {
		return nil, err
	}
	return tokenResponse(tok, ""), nil
}

func tokenResponse(tok *Token, issuedType string) *TokenResponse {
	return &TokenResponse{AccessToken: tok.Raw, IssuedTokenType: issuedType, TokenType: "Bearer",
		ExpiresIn: int(time.Until(tok.ExpiresAt).Round(time.Second) / time.Second), Scope: tok.Claims.Scope}
}

// exchange implements RFC 8693 token exchange. The rules:
//   - subject_token and subject_token_type are required, and the subject
//     token must be a live warden token (else invalid_request, §2.2.2);
//   - without an actor_token the client must be the subject (down-scoping
//     its own token); with one, the actor token must be the client's own
//     and the client becomes the current actor, prior actors nested (§4.1);
//   - audience/resource are required and must be allowed by the subject's
//     registration entry (else invalid_target);
//   - scope can only shrink: requested ⊆ subject scope (∩ actor scope when
//     delegating), else invalid_scope;
//   - the new token expires no later than the subject and actor tokens.
func (is *Issuer) exchange(ctx context.Context, client *Caller, req TokenRequest) (*TokenResponse, error) {
	if req.SubjectToken == "" || req.SubjectTokenType == "" {
		return nil, oauthErr("invalid_request", "subject_token and subject_token_type are required")
	}
	if !isJWTType(req.SubjectTokenType) {
		return nil, oauthErr("invalid_request", "subject_token_type must be "+TokenTypeAccessToken+" or "+TokenTypeJWT)
	}
	if req.RequestedTokenType != "" && req.RequestedTokenType != TokenTypeAccessToken && req.RequestedTokenType != TokenTypeJWT {
		return nil, oauthErr("invalid_request", "requested_token_type must be "+TokenTypeAccessToken+" or "+TokenTypeJWT)
	}
	if (req.ActorToken == "") != (req.ActorTokenType == "") {
		return nil, oauthErr("invalid_request", "actor_token and actor_token_type go together")
	}
	subject, err := is.verifyOwn(ctx, req.SubjectToken, "")
	if err != nil {
		return nil, oauthErr("invalid_request", "subject_token is not valid: "+warden.ErrorMessage(err))
	}
	limit := subject.Expiry.Time()
	scopeLimit := strings.Fields(subject.Scope)
	var act *Actor
	if req.ActorToken != "" {
		if !isJWTType(req.ActorTokenType) {
			return nil, oauthErr("invalid_request", "actor_token_type must be "+TokenTypeAccessToken+" or "+TokenTypeJWT)
		}
		actor, err := is.verifyOwn(ctx, req.ActorToken, "")
		if err != nil {
			return nil, oauthErr("invalid_request", "actor_token is not valid: "+warden.ErrorMessage(err))
		}
		if actor.Subject != client.SPIFFEID {
			return nil, oauthErr("invalid_request", "actor_token must be the authenticated client's own token")
		}
		if actor.Expiry.Time().Before(limit) {
			limit = actor.Expiry.Time()
		}
		if actor.Scope != "" || len(scopeLimit) > 0 {
			scopeLimit = intersect(scopeLimit, strings.Fields(actor.Scope))
		}
		act = &Actor{Subject: client.SPIFFEID, Act: subject.Act}
		if act.depth() > MaxDelegationDepth {
			return nil, oauthErr("invalid_request", "delegation chain is deeper than allowed")
		}
	} else if subject.Subject != client.SPIFFEID {
		return nil, oauthErr("invalid_request", "subject_token was not issued to the client: present an actor_token to act for it")
	} else {
		act = subject.Act // down-scoping keeps the chain as it was
	}

	entryCaller, err := is.subjectCaller(ctx, subject)
	if err != nil {
		return nil, err
	}
	aud := targets(req)
	if len(aud) == 0 {
		return nil, oauthErr("invalid_request", "audience (or resource) is required: exchanged tokens are audience-bound")
	}
	for _, a := range aud {
		if !slices.Contains(entryCaller.Entry.Audiences, a) {
			return nil, oauthErr("invalid_target", "audience "+clip(a)+" is not allowed for "+subject.Subject)
		}
	}
	scope := scopeLimit
	if req.Scope != "" {
		scope = strings.Fields(req.Scope)
		for _, s := range scope {
			if !slices.Contains(scopeLimit, s) {
				return nil, oauthErr("invalid_scope", "scope "+clip(s)+" is wider than the subject token's scope: scopes can only shrink")
			}
		}
	}
	ttl := ttlFor(0, time.Duration(entryCaller.Entry.JWTTTL), is.cfg.JWTTTL)
	claims := is.newClaims(entryCaller, aud, ttl)
	if claims.Expiry.Time().After(limit) {
		claims.Expiry = jwt.NewNumericDate(limit)
	}
	claims.Scope, claims.ClientID, claims.Act = strings.Join(scope, " "), client.SPIFFEID, act
	entryCaller.Attestation = "token_exchange:" + subject.ID + " by " + client.SPIFFEID
	// The client's pending assertion jti is recorded with the subject's
	// token; if recording fails it goes back to the client, to be settled.
	entryCaller.replay = client.replay
	tok, err := is.mintAndRecord(ctx, entryCaller, claims, warden.IssuedAccessToken, typAccessToken, act.chain())
	client.replay = entryCaller.replay
	if err != nil {
		return nil, err
	}
	issued := TokenTypeAccessToken
	if req.RequestedTokenType == TokenTypeJWT {
		issued = TokenTypeJWT
	}
	return tokenResponse(tok, issued), nil
}

// subjectCaller finds the registration entry of the subject token through
// its issuance record.
func (is *Issuer) subjectCaller(ctx context.Context, subject *Claims) (*Caller, error) {
	rec, err := is.store.FindIssuedCredential(ctx, subject.ID)
	if err != nil {
		if warden.ErrorCode(err) == warden.ENOTFOUND {
			return nil, oauthErr("invalid_request", "subject_token has no issuance record")
		}
		return nil, err
	}
	c, err := is.caller(ctx, rec.EntryID, "")
	if err != nil {
		if code := warden.ErrorCode(err); code == warden.EUNAUTHORIZED || code == warden.EFORBIDDEN {
			return nil, oauthErr("invalid_request", "subject_token: "+warden.ErrorMessage(err))
		}
		return nil, err
	}
	return c, nil
}

func isJWTType(t string) bool { return t == TokenTypeAccessToken || t == TokenTypeJWT }

func intersect(a, b []string) []string {
	var out []string
	for _, s := range a {
		if slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

// Introspection is an RFC 7662 response.
type Introspection struct {
	Active     bool     `json:"active"`
	Scope      string   `json:"scope,omitempty"`
	ClientID   string   `json:"client_id,omitempty"`
	TokenType  string   `json:"token_type,omitempty"`
	Exp        int64    `json:"exp,omitempty"`
	Iat        int64    `json:"iat,omitempty"`
	Nbf        int64    `json:"nbf,omitempty"`
	Sub        string   `json:"sub,omitempty"`
	Aud        []string `json:"aud,omitempty"`
	Iss        string   `json:"iss,omitempty"`
	Jti        string   `json:"jti,omitempty"`
	IdentityID string   `json:"identity_id,omitempty"`
	Act        *Actor   `json:"act,omitempty"`
}

// Introspect answers RFC 7662: active with its claims for a live warden
// token, {"active": false} for anything else (invalid, expired, revoked,
// identity not active) without saying why.
func (is *Issuer) Introspect(ctx context.Context, raw string) (*Introspection, error) {
	c, err := is.verifyOwn(ctx, raw, "")
	if err != nil {
		if warden.ErrorCode(err) == warden.EUNAUTHORIZED {
			return &Introspection{Active: false}, nil
		}
		return nil, err
	}
	out := &Introspection{Active: true, Scope: c.Scope, ClientID: c.ClientID, TokenType: "Bearer", Exp: c.Expiry.Time().Unix(),
		Sub: c.Subject, Aud: []string(c.Audience), Iss: c.Issuer, Jti: c.ID, IdentityID: c.IdentityID, Act: c.Act}
	if c.IssuedAt != nil {
		out.Iat = c.IssuedAt.Time().Unix()
	}
	if c.NotBefore != nil {
		out.Nbf = c.NotBefore.Time().Unix()
	}
	return out, nil
}

// RevokeToken serves RFC 7009: a client revokes a token issued to it, or
// one in which it is an actor. Invalid or unknown tokens are not an error
// (§2.2); another client's token is refused (unauthorized_client).
func (is *Issuer) RevokeToken(ctx context.Context, client *Caller, raw string) error {
	if raw == "" {
		return oauthErr("invalid_request", "token is required")
	}
	c, err := is.verifyOwn(ctx, raw, "")
	if err != nil {
		if warden.ErrorCode(err) == warden.EUNAUTHORIZED {
			return nil
		}
		return err
	}
	if c.Subject != client.SPIFFEID && c.ClientID != client.SPIFFEID && !slices.Contains(c.Act.chain(), client.SPIFFEID) {
		return oauthErr("unauthorized_client", "the token was not issued to this client")
	}
	_, err = is.store.RevokeIssued(warden.NewContextWithActor(ctx, warden.Actor{Type: "workload", ID: client.SPIFFEID}),
		warden.Revocation{CredentialID: c.ID, Reason: "revoked by client (RFC 7009)"})
	return err
}
