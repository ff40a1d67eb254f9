package issuer

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/store/storetest"
)

func TestParseTrustedIssuers_ValidFile(t *testing.T) {
	got, err := LoadTrustedIssuers(filepath.Join("testdata", "oidc-issuers", "valid.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []TrustedIssuer{
		{Issuer: "https://token.actions.githubusercontent.com", Audience: "https://warden.example.org", Algorithms: []jose.SignatureAlgorithm{jose.RS256}},
		{Issuer: "https://kubernetes.default.svc.cluster.local", Audience: "warden", JWKSURL: "https://10.0.0.1/openid/v1/jwks",
			Algorithms: []jose.SignatureAlgorithm{jose.RS256, jose.ES256}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestParseTrustedIssuers_AcceptsDefaultsAndLoopbackHTTP(t *testing.T) {
	got, err := ParseTrustedIssuers([]byte(`[{"issuer":"http://127.0.0.1:8080","audience":"warden","jwks_url":"http://localhost:9/keys"},{"issuer":"https://a.example","audience":"w","algorithms":["ES256","ES256"]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Algorithms != nil || got[0].JWKSURL != "http://localhost:9/keys" || !reflect.DeepEqual(got[1].Algorithms, []jose.SignatureAlgorithm{jose.ES256}) {
		t.Fatalf("got %+v", got)
	}
	if got, err := ParseTrustedIssuers([]byte("[]")); err != nil || len(got) != 0 {
		t.Fatalf("empty list: %v, %v", got, err)
	}
}

// TestParseTrustedIssuers_RefusesWithFieldNames: every refusal is EINVALID
// and names the element and field at fault.
func TestParseTrustedIssuers_RefusesWithFieldNames(t *testing.T) {
	for name, tc := range map[string]struct {
		in, field, msg string
	}{
		"NotJSON":          {`issuers: []`, "", "invalid JSON"},
		"NotAList":         {`{"issuer":"https://a.example"}`, "", "expected a JSON list"},
		"Empty":            {``, "", "invalid JSON"},
		"UnknownField":     {`[{"issuer":"https://a.example","audience":"w","bound_claims":{}}]`, "[0]", `unknown field "bound_claims"`},
		"WrongType":        {`[{"issuer":"https://a.example","audience":["w"]}]`, "[0]", `field "audience" must be a string`},
		"AlgorithmsString": {`[{"issuer":"https://a.example","audience":"w","algorithms":"RS256"}]`, "[0]", `"algorithms" must be a list of strings`},
		"NoIssuer":         {`[{"audience":"w"}]`, "[0].issuer", "required"},
		"NoAudience":       {`[{"issuer":"https://a.example"}]`, "[0].audience", "required"},
		"BlankAudience":    {`[{"issuer":"https://a.example","audience":"  "}]`, "[0].audience", "required"},
		"HTTPRemote":       {`[{"issuer":"http://a.example","audience":"w"}]`, "[0].issuer", "https"},
		"OtherScheme":      {`[{"issuer":"ftp://a.example","audience":"w"}]`, "[0].issuer", "https"},
		"RelativeURL":      {`[{"issuer":"a.example","audience":"w"}]`, "[0].issuer", "absolute"},
		"TrailingSlash":    {`[{"issuer":"https://a.example/x/","audience":"w"}]`, "[0].issuer", "slash"},
		"Query":            {`[{"issuer":"https://a.example?x=1","audience":"w"}]`, "[0].issuer", "query"},
		"UserInfo":         {`[{"issuer":"https://u:p@a.example","audience":"w"}]`, "[0].issuer", "credentials"},
		"BadJWKSURL":       {`[{"issuer":"https://a.example","audience":"w","jwks_url":"http://10.0.0.1/jwks"}]`, "[0].jwks_url", "https"},
		"Duplicate":        {`[{"issuer":"https://a.example","audience":"w"},{"issuer":"https://a.example","audience":"x"}]`, "[1].issuer", "already configured at [0]"},
		"AlgNone":          {`[{"issuer":"https://a.example","audience":"w","algorithms":["none"]}]`, "[0].algorithms[0]", `"none" is not one of`},
		"HMAC":             {`[{"issuer":"https://a.example","audience":"w","algorithms":["RS256","HS256"]}]`, "[0].algorithms[1]", `"HS256"`},
		"EmptyAlgorithms":  {`[{"issuer":"https://a.example","audience":"w","algorithms":[]}]`, "[0].algorithms", "empty"},
		"SecondElement":    {`[{"issuer":"https://a.example","audience":"w"},{"issuer":"https://b.example"}]`, "[1].audience", "required"},
		"TooLarge":         {"[" + strings.Repeat(" ", MaxTrustConfigBytes) + "]", "", "larger than"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseTrustedIssuers([]byte(tc.in))
			if err == nil {
				t.Fatal("accepted")
			}
			if warden.ErrorCode(err) != warden.EINVALID || warden.ErrorField(err) != tc.field || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q (code %q, field %q), want field %q and %q", err, warden.ErrorCode(err), warden.ErrorField(err), tc.field, tc.msg)
			}
		})
	}
}

func TestLoadTrustedIssuers_NamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuers.json")
	if err := os.WriteFile(path, []byte(`[{"issuer":"https://a.example"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTrustedIssuers(path); err == nil || !strings.Contains(err.Error(), path) || warden.ErrorField(err) != "[0].audience" {
		t.Fatalf("error %v", err)
	}
	if _, err := LoadTrustedIssuers(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("a missing file was accepted")
	}
}

// TestAttestOIDC_AlgorithmAllowListOfTheIssuer: an issuer configured for
// ES256 only does not accept its RS256 tokens, even with a trusted key.
func TestAttestOIDC_AlgorithmAllowListOfTheIssuer(t *testing.T) {
	o := newLocalOIDC(t)
	e := newEnv(t, func(c *Config) {
		c.TrustedIssuers = []TrustedIssuer{{Issuer: o.srv.URL, Audience: "warden", Algorithms: []jose.SignatureAlgorithm{jose.ES256}}}
	})
	e.entry(t, "deployer", warden.AttestOIDC, func(en *warden.RegistrationEntry) {
		en.OIDCIssuer = o.srv.URL
		en.Selectors = map[string]string{"repository": "acme/shop"}
	})
	m := tokenMaker{alg: jose.RS256, key: o.key, kid: o.kid}
	_, err := e.is.Authenticate(e.ctx, Evidence{Assertion: m.sign(t, o.githubClaims("acme/shop"))})
	if warden.ErrorCode(err) != warden.EUNAUTHORIZED || !strings.Contains(err.Error(), `algorithm "RS256" is not accepted`) {
		t.Fatalf("RS256 token of an ES256-only issuer: %v", err)
	}
}

func TestNew_RefusesTrustedIssuerWithHMAC(t *testing.T) {
	db := storetest.OpenSQLite(t)
	kek, err := GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(t.Context(), Config{TrustDomain: "example.org", IssuerURL: "https://warden.test", Store: db, Identities: db, KEK: kek,
		TrustedIssuers: []TrustedIssuer{{Issuer: "https://a.example", Audience: "w", Algorithms: []jose.SignatureAlgorithm{jose.HS256}}}})
	if err == nil || !strings.Contains(err.Error(), "HS256") {
		t.Fatalf("New with an HS256 issuer: %v", err)
	}
}

// FuzzParseTrustedIssuers: any input is refused with an EINVALID error or
// yields issuers that satisfy every rule the parser promises.
// Seeds: testdata/fuzz/FuzzParseTrustedIssuers.
func FuzzParseTrustedIssuers(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseTrustedIssuers(data)
		if err != nil {
			if warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("error %v has code %q, want invalid", err, warden.ErrorCode(err))
			}
			return
		}
		seen := map[string]bool{}
		for i, ti := range got {
			if checkIssuerURL(ti.Issuer, true) != nil || ti.Audience == "" || seen[ti.Issuer] {
				t.Fatalf("[%d] accepted but breaks the rules: %+v", i, ti)
			}
			seen[ti.Issuer] = true
			if ti.JWKSURL != "" && checkIssuerURL(ti.JWKSURL, false) != nil {
				t.Fatalf("[%d] accepted jwks_url %q", i, ti.JWKSURL)
			}
			for _, a := range ti.Algorithms {
				if a == "none" || strings.HasPrefix(string(a), "HS") {
					t.Fatalf("[%d] accepted algorithm %q", i, a)
				}
			}
		}
	})
}
