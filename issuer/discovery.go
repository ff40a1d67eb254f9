package issuer

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Discovery is the OpenID Provider metadata warden publishes; enough for
// AWS IAM OIDC providers, cloud workload-identity federation and any OIDC
// library to verify warden's tokens.
type Discovery struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	AuthorizationEndpoint            string   `json:"authorization_endpoint"`
	TokenEndpoint                    string   `json:"token_endpoint"`
	IntrospectionEndpoint            string   `json:"introspection_endpoint"`
	RevocationEndpoint               string   `json:"revocation_endpoint"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	GrantTypesSupported              []string `json:"grant_types_supported"`
	TokenEndpointAuthMethods         []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs     []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
}

// Paths of the public and OAuth endpoints, relative to the issuer URL.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathJWKS       = "/.well-known/jwks.json"
	PathBundle     = "/v1/bundle"
	PathToken      = "/v1/oauth2/token"
	PathIntrospect = "/v1/oauth2/introspect"
	PathRevoke     = "/v1/oauth2/revoke"
)

// Discovery returns the discovery document.
func (is *Issuer) Discovery() *Discovery {
	u := is.cfg.IssuerURL
	return &Discovery{
		Issuer: u, JWKSURI: u + PathJWKS,
		// warden has no interactive authorization endpoint; OIDC metadata
		// requires the member, so it names the token endpoint's base.
		AuthorizationEndpoint:            u + "/v1/oauth2/authorize",
		TokenEndpoint:                    u + PathToken,
		IntrospectionEndpoint:            u + PathIntrospect,
		RevocationEndpoint:               u + PathRevoke,
		ResponseTypesSupported:           []string{"id_token"},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{string(is.cfg.JWTAlgorithm)},
		GrantTypesSupported:              []string{GrantClientCredentials, GrantTokenExchange},
		TokenEndpointAuthMethods:         []string{"private_key_jwt", "tls_client_auth"},
		TokenEndpointAuthSigningAlgs:     []string{"ES256", "ES384", "EdDSA", "RS256"},
		ClaimsSupported:                  []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope", "client_id", "act", "identity_id"},
	}
}

// Bundle returns the SPIFFE trust bundle of the trust domain in the SPIFFE
// bundle format (a JWK set): every published CA as an "x509-svid" key and
// every published JWT key as a "jwt-svid" key.
func (is *Issuer) Bundle() map[string]any {
	keys := is.keys.Load()
	var out []jose.JSONWebKey
	for _, r := range keys.roots() {
		out = append(out, jose.JSONWebKey{Key: r.PublicKey, Use: "x509-svid", Certificates: nil,
			KeyID: "", Algorithm: ""})
		out[len(out)-1].Certificates = append(out[len(out)-1].Certificates, r)
	}
	for _, k := range keys.jwt {
		out = append(out, jose.JSONWebKey{Key: k.public, KeyID: k.id, Use: "jwt-svid"})
	}
	return map[string]any{
		"keys":                out,
		"spiffe_sequence":     keys.loadedAt.Unix(),
		"spiffe_refresh_hint": int64((5 * time.Minute) / time.Second),
	}
}

// BundleCertificates returns the X.509 trust anchors.
func (is *Issuer) BundleCertificates() [][]byte {
	var out [][]byte
	for _, r := range is.keys.Load().roots() {
		out = append(out, r.Raw)
	}
	return out
}

// CRL returns a DER CRL, signed by the current CA, of the revoked
// X.509-SVIDs that have not expired.
func (is *Issuer) CRL(ctx context.Context) ([]byte, error) {
	serials, err := is.store.RevokedSerials(ctx)
	if err != nil {
		return nil, err
	}
	n := is.crlSeq.Add(1) + is.now().Unix()<<16
	return createCRL(is.keys.Load().caCurrent, serials, n, is.now())
}

// b64 is base64 of DER for x5c.
func b64(der []byte) string { return base64.StdEncoding.EncodeToString(der) }
