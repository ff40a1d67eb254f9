package envoy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"net"
	"net/url"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/policy"
	"github.com/warden-nhi/warden/store/storetest"
)

var adminCtx = warden.NewContextWithActor(context.Background(), warden.Actor{Type: "token", ID: "t", Name: "test", Role: warden.RoleAdmin})

const schema = `entity Route;
action "read-payments", "GET", "POST" appliesTo { principal: [Identity], resource: [Route], context: { method?: String, path?: String, host?: String, source_ip?: String, destination?: String } };
`

// client starts warden's ext_authz server on loopback gRPC over a real
// SQLite-backed engine and returns a client and the identity it knows.
func client(t *testing.T) (authv3.AuthorizationClient, *warden.Identity) {
	t.Helper()
	db := storetest.OpenSQLite(t)
	i := &warden.Identity{Kind: warden.KindWorkload, Provider: warden.ProviderWarden, ExternalID: "spiffe://example.org/ns/shop/sa/checkout", Name: "checkout", Owner: "team-shop"}
	if err := db.CreateIdentity(adminCtx, i); err != nil {
		t.Fatal(err)
	}
	v := &warden.PolicyVersion{Schema: schema, Policies: map[string]string{"shop.cedar": `
@id("checkout-pays") permit (principal in Team::"team-shop", action == Action::"read-payments", resource)
when { context has source_ip && context.source_ip like "10.*" };`}}
	if _, err := policy.Compile(v); err != nil {
		t.Fatal(err)
	}
	if err := db.CreatePolicyVersion(adminCtx, v); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ActivatePolicyVersion(adminCtx, v.Version); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	engine := policy.New(policy.Config{Identities: db, Credentials: db, Policies: db, Changes: db})
	if err := engine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	mapping, err := policy.ParseHTTPMapping([]byte(`{"rules":[{"method":"GET","path":"/payments/*","action":"read-payments","resource_type":"Route","resource_id":"payments"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	New(engine, mapping, nil).Register(g)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(ln)
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); g.Stop(); cancel(); engine.Close() })
	return authv3.NewAuthorizationClient(conn), i
}

func socket(ip string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{Address: ip, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}
}

func check(method, path, principal, cert string, headers map[string]string) *authv3.CheckRequest {
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source:      &authv3.AttributeContext_Peer{Address: socket("10.2.3.4", 51000), Principal: principal, Certificate: cert},
		Destination: &authv3.AttributeContext_Peer{Address: socket("10.9.9.9", 8443)},
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Method: method, Path: path, Host: "payments.internal", Headers: headers,
		}},
	}}
}

// spiffeCert returns a URL-escaped PEM certificate with a SPIFFE URI SAN,
// as Envoy sends in source.certificate.
func spiffeCert(t *testing.T, id string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(id)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour), URIs: []*url.URL{u}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return url.QueryEscape(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
}

// TestCheck_RealCheckRequests drives the gRPC server with Envoy's own
// protobufs over loopback: allowed, denied, missing identity, malformed.
func TestCheck_RealCheckRequests(t *testing.T) {
	c, i := client(t)
	for _, tc := range []struct {
		name     string
		req      *authv3.CheckRequest
		want     code.Code
		httpCode int32
	}{
		{"AllowedByPeerPrincipal", check("GET", "/payments/42?full=1", i.ExternalID, "", nil), code.Code_OK, 0},
		{"AllowedByPeerCertificate", check("GET", "/payments/42", "", spiffeCert(t, i.ExternalID), nil), code.Code_OK, 0},
		{"DeniedMethod", check("POST", "/payments/42", i.ExternalID, "", nil), code.Code_PERMISSION_DENIED, 403},
		{"DeniedUnknownIdentity", check("GET", "/payments/42", "spiffe://example.org/ns/shop/sa/ghost", "", nil), code.Code_PERMISSION_DENIED, 403},
		{"DeniedInvalidToken", check("GET", "/payments/42", "", "", map[string]string{"authorization": "Bearer not-a-token"}), code.Code_PERMISSION_DENIED, 403},
		{"MissingIdentity", check("GET", "/payments/42", "", "", nil), code.Code_UNAUTHENTICATED, 401},
		{"CertificateWithoutSPIFFEID", check("GET", "/payments/42", "CN=checkout", "garbage%%", nil), code.Code_UNAUTHENTICATED, 401},
		{"MalformedNoHTTP", &authv3.CheckRequest{Attributes: &authv3.AttributeContext{}}, code.Code_INVALID_ARGUMENT, 400},
		{"MalformedEmpty", &authv3.CheckRequest{}, code.Code_INVALID_ARGUMENT, 400},
		{"MalformedPath", check("GET", "payments", i.ExternalID, "", nil), code.Code_INVALID_ARGUMENT, 400},
		{"MalformedAuthorization", check("GET", "/payments/1", "", "", map[string]string{"authorization": "Basic abc"}), code.Code_INVALID_ARGUMENT, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := c.Check(context.Background(), tc.req)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got := code.Code(resp.GetStatus().GetCode()); got != tc.want {
				t.Fatalf("status %v (%s), want %v", got, resp.GetStatus().GetMessage(), tc.want)
			}
			if tc.want == code.Code_OK {
				hs := resp.GetOkResponse().GetHeaders()
				if len(hs) != 2 || hs[1].GetHeader().GetValue() != i.ID {
					t.Fatalf("ok headers %v", hs)
				}
				return
			}
			if got := int32(resp.GetDeniedResponse().GetStatus().GetCode()); got != tc.httpCode {
				t.Fatalf("denied HTTP status %d, want %d", got, tc.httpCode)
			}
		})
	}
}

// TestCheck_SourceAddressIsContext: the policy requires a 10.* source; a
// request from elsewhere is denied.
func TestCheck_SourceAddressIsContext(t *testing.T) {
	c, i := client(t)
	req := check("GET", "/payments/1", i.ExternalID, "", nil)
	req.Attributes.Source.Address = socket("192.0.2.10", 4000)
	resp, err := c.Check(context.Background(), req)
	if err != nil || code.Code(resp.GetStatus().GetCode()) != code.Code_PERMISSION_DENIED {
		t.Fatalf("%v %v", resp, err)
	}
}
