package httpapi

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
)

// validIdentity is a create body that the API accepts.
const validIdentity = `{"kind":"cloud_role","provider":"aws","external_id":"arn:aws:iam::123456789012:role/deploy","name":"deploy"}`

// withMember returns the valid identity body with one more member.
func withMember(member string) string {
	return strings.TrimSuffix(validIdentity, "}") + "," + member + "}"
}

func TestBadInput_Yields4xxProblem(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *testEnv) {
		var identity warden.Identity
		e.admin(t, "POST", "/v1/identities", validIdentity, http.StatusCreated, &identity)
		var cred warden.Credential
		e.admin(t, "POST", "/v1/identities/"+identity.ID+"/credentials", `{"type":"access_key","public_id":"AKIAIOSFODNN7EXAMPLE"}`, http.StatusCreated, &cred)
		var byName listResponse[*warden.Identity]
		e.admin(t, "POST", "/v1/identities", `{"kind":"bot","provider":"github","external_id":"bot-1","name":"bot-1"}`, http.StatusCreated, nil)
		e.admin(t, "GET", "/v1/identities?sort=name&limit=1", nil, http.StatusOK, &byName)
		if byName.NextCursor == "" {
			t.Fatal("want a next cursor")
		}

		ident := "/v1/identities/" + identity.ID
		credPath := "/v1/credentials/" + cred.ID
		oversize := `{"kind":"bot","provider":"aws","external_id":"x","name":"` + strings.Repeat("a", testMaxBody) + `"}`
		deep := `{"labels":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`

		for _, tc := range []struct {
			name        string
			method      string
			path        string
			body        string
			contentType string // "" means application/json when there is a body; "-" sends none
			wantStatus  int
			wantField   string
		}{
			// Malformed bodies.
			{"TruncatedJSON", "POST", "/v1/identities", `{"kind": "bot",`, "", 400, ""},
			{"SyntaxError", "POST", "/v1/identities", `{"kind" "bot"}`, "", 400, ""},
			{"SingleQuotes", "POST", "/v1/identities", `{'kind': 'bot'}`, "", 400, ""},
			{"EmptyBody", "POST", "/v1/identities", ``, "", 400, ""},
			{"WhitespaceBody", "POST", "/v1/identities", " \n\t", "", 400, ""},
			{"ArrayBody", "POST", "/v1/identities", `[]`, "", 400, ""},
			{"StringBody", "POST", "/v1/identities", `"bot"`, "", 400, ""},
			{"NullBody", "POST", "/v1/identities", `null`, "", 400, ""},
			{"NumberBody", "POST", "/v1/identities", `42`, "", 400, ""},
			{"TrailingGarbage", "POST", "/v1/identities", validIdentity + ` x`, "", 400, ""},
			{"TrailingObject", "POST", "/v1/identities", validIdentity + `{}`, "", 400, ""},
			{"InvalidUTF8", "POST", "/v1/identities", withMember("\"purpose\":\"\xff\xfe\""), "", 400, ""},
			{"DeepNesting", "POST", "/v1/identities", deep, "", 400, ""},
			{"Oversize", "POST", "/v1/identities", oversize, "", 413, ""},
			{"OversizePatch", "PATCH", ident, `{"purpose":"` + strings.Repeat("a", testMaxBody) + `"}`, "", 413, ""},
			{"OversizeToken", "POST", "/v1/tokens", `{"name":"` + strings.Repeat("a", testMaxBody) + `","role":"admin"}`, "", 413, ""},

			// Content types.
			{"TextPlain", "POST", "/v1/identities", validIdentity, "text/plain", 415, ""},
			{"FormEncoded", "POST", "/v1/identities", "kind=bot", "application/x-www-form-urlencoded", 415, ""},
			{"NoContentType", "POST", "/v1/identities", validIdentity, "-", 415, ""},
			{"Latin1Charset", "POST", "/v1/identities", validIdentity, "application/json; charset=latin1", 415, ""},
			{"BadMediaType", "POST", "/v1/identities", validIdentity, "application/json; ===", 415, ""},
			{"NoContentTypePatch", "PATCH", ident, `{"owner":"x"}`, "-", 415, ""},
			{"NoContentTypeDeprovision", "POST", ident + "/deprovision", `{"reason":"x"}`, "-", 415, ""},

			// Unknown, duplicate, misspelt and null members.
			{"UnknownField", "POST", "/v1/identities", withMember(`"colour":"red"`), "", 400, "colour"},
			{"ServerSetField", "POST", "/v1/identities", withMember(`"id":"0190"`), "", 400, "id"},
			{"CaseVariantField", "POST", "/v1/identities", `{"Kind":"bot","provider":"aws","external_id":"x","name":"x"}`, "", 400, "Kind"},
			{"DuplicateField", "POST", "/v1/identities", withMember(`"owner":"a","owner":"b"`), "", 400, "owner"},
			{"SecretOnCredential", "POST", ident + "/credentials", `{"type":"api_key","public_id":"k1","secret":"sk_live_123"}`, "", 400, "secret"},
			{"ValueOnCredential", "POST", ident + "/credentials", `{"type":"api_key","public_id":"k1","value":"sk_live_123"}`, "", 400, "value"},
			{"SecretOnCredentialPatch", "PATCH", credPath, `{"secret":"sk_live_123"}`, "", 400, "secret"},
			{"ImmutableKindOnPatch", "PATCH", ident, `{"kind":"bot"}`, "", 400, "kind"},
			{"NullOwnerOnPatch", "PATCH", ident, `{"owner":null}`, "", 400, "owner"},
			{"NullExpiryOnCredentialPatch", "PATCH", credPath, `{"expires_at":null}`, "", 400, "expires_at"},
			{"UnknownDeprovisionField", "POST", ident + "/deprovision", `{"why":"x"}`, "", 400, "why"},
			{"UnknownTokenField", "POST", "/v1/tokens", `{"name":"ci","role":"admin","secret":"mine"}`, "", 400, "secret"},

			// Wrong JSON types.
			{"NameNumber", "POST", "/v1/identities", `{"kind":"bot","provider":"aws","external_id":"x","name":42}`, "", 400, "name"},
			{"LabelsString", "POST", "/v1/identities", withMember(`"labels":"team=a"`), "", 400, "labels"},
			{"LabelValueNumber", "POST", "/v1/identities", withMember(`"labels":{"team":1}`), "", 400, "labels.team"},
			{"ManagedString", "POST", "/v1/identities", withMember(`"managed":"yes"`), "", 400, "managed"},
			{"TimeNotRFC3339", "POST", "/v1/identities", withMember(`"next_review_at":"tomorrow"`), "", 400, "next_review_at"},
			{"TimeNumber", "POST", "/v1/identities", withMember(`"first_seen_at":1700000000`), "", 400, "first_seen_at"},
			{"TimeBeforeEpoch", "POST", "/v1/identities", withMember(`"last_used_at":"0001-01-01T00:00:00Z"`), "", 400, "last_used_at"},
			{"TimePastYear9999", "POST", "/v1/identities", withMember(`"last_used_at":"9999-12-31T23:59:59-23:59"`), "", 400, "last_used_at"},
			{"PatchTimeNumber", "PATCH", ident, `{"next_review_at":12}`, "", 400, "next_review_at"},
			{"PatchTimeBad", "PATCH", ident, `{"next_review_at":"2025-13-01T00:00:00Z"}`, "", 400, "next_review_at"},
			{"PatchLabelsArray", "PATCH", ident, `{"labels":["a"]}`, "", 400, "labels"},
			{"CredentialExpiresNumber", "POST", ident + "/credentials", `{"type":"api_key","public_id":"k2","expires_at":5}`, "", 400, "expires_at"},
			{"TokenRoleNumber", "POST", "/v1/tokens", `{"name":"ci","role":1}`, "", 400, "role"},

			// Values the domain rejects.
			{"BadKind", "POST", "/v1/identities", `{"kind":"robot","provider":"aws","external_id":"x","name":"x"}`, "", 400, "kind"},
			{"BadProvider", "POST", "/v1/identities", `{"kind":"bot","provider":"AWS","external_id":"x","name":"x"}`, "", 400, "provider"},
			{"MissingKind", "POST", "/v1/identities", `{"provider":"aws","external_id":"x","name":"x"}`, "", 400, "kind"},
			{"MissingExternalID", "POST", "/v1/identities", `{"kind":"bot","provider":"aws","name":"x"}`, "", 400, "external_id"},
			{"MissingName", "POST", "/v1/identities", `{"kind":"bot","provider":"aws","external_id":"x"}`, "", 400, "name"},
			{"EmptyObject", "POST", "/v1/identities", `{}`, "", 400, "kind"},
			{"NameControlChar", "POST", "/v1/identities", `{"kind":"bot","provider":"aws","external_id":"x","name":"a\u0000b"}`, "", 400, "name"},
			{"NameTooLong", "POST", "/v1/identities", `{"kind":"bot","provider":"aws","external_id":"x","name":"` + strings.Repeat("n", 300) + `"}`, "", 400, "name"},
			{"BadEnvironment", "POST", "/v1/identities", withMember(`"environment":"Prod Env"`), "", 400, "environment"},
			{"BadLabelKey", "POST", "/v1/identities", withMember(`"labels":{"bad key":"v"}`), "", 400, "labels"},
			{"BadStatus", "POST", "/v1/identities", withMember(`"status":"gone"`), "", 400, "status"},
			{"EmptyPatch", "PATCH", ident, `{}`, "", 400, ""},
			{"PatchDeprovisionedStatus", "PATCH", ident, `{"status":"deprovisioned"}`, "", 400, "status"},
			{"PatchEmptyName", "PATCH", ident, `{"name":"  "}`, "", 400, "name"},
			{"DeprovisionReasonControlChar", "POST", ident + "/deprovision", `{"reason":"a\u0007b"}`, "", 400, "reason"},
			{"CredentialBadType", "POST", ident + "/credentials", `{"type":"magic","public_id":"k3"}`, "", 400, "type"},
			{"CredentialNoIDs", "POST", ident + "/credentials", `{"type":"api_key"}`, "", 400, "public_id"},
			{"CredentialBadFingerprint", "POST", ident + "/credentials", `{"type":"api_key","fingerprint":"abc"}`, "", 400, "fingerprint"},
			{"CredentialUpperFingerprint", "POST", ident + "/credentials", `{"type":"api_key","fingerprint":"` + strings.Repeat("A", 64) + `"}`, "", 400, "fingerprint"},
			{"CredentialPatchEmpty", "PATCH", credPath, `{}`, "", 400, ""},
			{"CredentialPatchClearFingerprint", "PATCH", credPath, `{"fingerprint":""}`, "", 400, "fingerprint"},
			{"CredentialPatchBadStatus", "PATCH", credPath, `{"status":"stolen"}`, "", 400, "status"},
			{"TokenBadRole", "POST", "/v1/tokens", `{"name":"ci","role":"root"}`, "", 400, "role"},
			{"TokenMissingName", "POST", "/v1/tokens", `{"role":"auditor"}`, "", 400, "name"},
			{"TokenMissingRole", "POST", "/v1/tokens", `{"name":"ci"}`, "", 400, "role"},

			// Unknown objects and clashes.
			{"UnknownIdentity", "GET", "/v1/identities/0190e8a0-0000-7000-8000-000000000000", "", "", 404, ""},
			{"UnknownExternalID", "GET", "/v1/identities/" + url.PathEscape("arn:aws:iam::1:role/none"), "", "", 404, ""},
			{"UnknownIdentityPatch", "PATCH", "/v1/identities/nope", `{"owner":"x"}`, "", 404, ""},
			{"UnknownIdentityDeprovision", "POST", "/v1/identities/nope/deprovision", "", "-", 404, ""},
			{"UnknownIdentityCredentials", "GET", "/v1/identities/nope/credentials", "", "", 404, ""},
			{"UnknownIdentityNewCredential", "POST", "/v1/identities/nope/credentials", `{"type":"api_key","public_id":"k4"}`, "", 404, ""},
			{"UnknownCredential", "GET", "/v1/credentials/nope", "", "", 404, ""},
			{"UnknownCredentialPatch", "PATCH", "/v1/credentials/nope", `{"description":"x"}`, "", 404, ""},
			{"UnknownToken", "DELETE", "/v1/tokens/nope", "", "", 404, ""},
			{"DuplicateIdentity", "POST", "/v1/identities", validIdentity, "", 409, ""},
			{"DuplicateCredential", "POST", ident + "/credentials", `{"type":"access_key","public_id":"AKIAIOSFODNN7EXAMPLE"}`, "", 409, ""},

			// Path values.
			{"RefInvalidUTF8", "GET", "/v1/identities/%ff%fe", "", "", 400, "ref"},
			{"RefNUL", "GET", "/v1/identities/a%00b", "", "", 400, "ref"},
			{"RefTooLong", "GET", "/v1/identities/" + strings.Repeat("r", 5000), "", "", 400, "ref"},
			{"CredentialIDControl", "GET", "/v1/credentials/a%0Ab", "", "", 400, "id"},

			// Query parameters.
			{"LimitNotNumber", "GET", "/v1/identities?limit=ten", "", "", 400, "limit"},
			{"LimitZero", "GET", "/v1/identities?limit=0", "", "", 400, "limit"},
			{"LimitNegative", "GET", "/v1/identities?limit=-5", "", "", 400, "limit"},
			{"LimitTooLarge", "GET", "/v1/identities?limit=501", "", "", 400, "limit"},
			{"LimitHuge", "GET", "/v1/identities?limit=99999999999999999999999", "", "", 400, "limit"},
			{"ManagedNotBool", "GET", "/v1/identities?managed=yes", "", "", 400, "managed"},
			{"UnownedNotBool", "GET", "/v1/identities?unowned=1", "", "", 400, "unowned"},
			{"OwnerAndUnowned", "GET", "/v1/identities?owner=a&unowned=true", "", "", 400, "owner"},
			{"LabelNoKey", "GET", "/v1/identities?label==v", "", "", 400, "label"},
			{"LabelBadKey", "GET", "/v1/identities?label=" + url.QueryEscape("bad key=v"), "", "", 400, "label"},
			{"LabelConflict", "GET", "/v1/identities?label=a=1&label=a=2", "", "", 400, "label"},
			{"KindBadEnum", "GET", "/v1/identities?kind=robot", "", "", 400, "kind"},
			{"StatusBadEnum", "GET", "/v1/identities?status=zombie", "", "", 400, "status"},
			{"ProviderBad", "GET", "/v1/identities?provider=A%20B", "", "", 400, "provider"},
			{"SortBad", "GET", "/v1/identities?sort=colour", "", "", 400, "sort"},
			{"QTooLong", "GET", "/v1/identities?q=" + strings.Repeat("q", 300), "", "", 400, "q"},
			{"QInvalidUTF8", "GET", "/v1/identities?q=%ff", "", "", 400, "q"},
			{"OwnerNUL", "GET", "/v1/identities?owner=a%00", "", "", 400, "owner"},
			{"CursorGarbage", "GET", "/v1/identities?cursor=not-a-cursor", "", "", 400, "cursor"},
			{"CursorBase64Garbage", "GET", "/v1/identities?cursor=e30", "", "", 400, "cursor"},
			{"CursorOtherSort", "GET", "/v1/identities?cursor=" + url.QueryEscape(byName.NextCursor), "", "", 400, "cursor"},
			{"UnknownParam", "GET", "/v1/identities?owmer=team-a", "", "", 400, "owmer"},
			{"RepeatedParam", "GET", "/v1/identities?kind=bot&kind=cloud_role", "", "", 400, "kind"},
			{"MalformedQuery", "GET", "/v1/identities?kind=%zz", "", "", 400, ""},
			{"SemicolonQuery", "GET", "/v1/identities?kind=bot;owner=x", "", "", 400, ""},
			{"GetIdentityBadProvider", "GET", ident + "?provider=NOPE", "", "", 400, "provider"},
			{"GetIdentityUnknownParam", "GET", ident + "?verbose=1", "", "", 400, "verbose"},
			{"CredentialsBadType", "GET", "/v1/credentials?type=magic", "", "", 400, "type"},
			{"CredentialsBadStatus", "GET", "/v1/credentials?status=stolen", "", "", 400, "status"},
			{"CredentialsBadFingerprint", "GET", "/v1/credentials?fingerprint=xyz", "", "", 400, "fingerprint"},
			{"CredentialsBadCursor", "GET", "/v1/credentials?cursor=%21%21", "", "", 400, "cursor"},
			{"IdentityCredentialsNoIdentityParam", "GET", ident + "/credentials?identity_id=x", "", "", 400, "identity_id"},
			{"AuditBadLimit", "GET", "/v1/audit?limit=many", "", "", 400, "limit"},
			{"AuditBadCursor", "GET", "/v1/audit?cursor=zzz", "", "", 400, "cursor"},
			{"AuditUnknownParam", "GET", "/v1/audit?since=2025-01-01", "", "", 400, "since"},
			{"VerifyUnknownParam", "GET", "/v1/audit/verify?deep=true", "", "", 400, "deep"},
			{"TokensUnknownParam", "GET", "/v1/tokens?all=1", "", "", 400, "all"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := request{method: tc.method, path: tc.path, token: e.tokens[warden.RoleAdmin], contentType: tc.contentType}
				if tc.body != "" {
					req.body = tc.body
				}
				resp := e.do(t, req)
				if resp.StatusCode != tc.wantStatus {
					t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.wantStatus, resp.body)
				}
				p := resp.problem(t)
				if p.Field != tc.wantField {
					t.Errorf("field = %q, want %q (detail %q)", p.Field, tc.wantField, p.Detail)
				}
				if p.Detail == "" {
					t.Errorf("problem has no detail")
				}
			})
		}

		// None of that input reached the panic handler or produced a 5xx.
		if n := e.counter(t, "warden_http_panics_total", nil); n != 0 {
			t.Errorf("%v panics recovered", n)
		}
		for _, code := range []string{"500", "502", "503"} {
			if n := e.counter(t, "warden_http_requests_total", map[string]string{"code": code}); n != 0 {
				t.Errorf("%v responses with status %s", n, code)
			}
		}
		if logs := e.logs.String(); strings.Contains(logs, "level=ERROR") {
			t.Errorf("bad input logged errors:\n%s", logs)
		}
	})
}

func TestBadInput_ErrorDetailsNameOffsetsAndTypes(t *testing.T) {
	e := newTestEnv(t)
	for _, tc := range []struct {
		name, body, want string
	}{
		{"SyntaxOffset", `{"kind" "bot"}`, "offset 8"},
		{"TypeName", `{"name":42}`, "must be a string"},
		{"SecretHint", `{"secret":"x"}`, "fingerprint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/v1/identities"
			if tc.name == "SecretHint" {
				path = "/v1/tokens"
			}
			resp := e.do(t, request{method: "POST", path: path, token: e.tokens[warden.RoleAdmin], body: tc.body})
			if p := resp.problem(t); !strings.Contains(p.Detail, tc.want) {
				t.Errorf("detail %q does not mention %q", p.Detail, tc.want)
			}
		})
	}
}
