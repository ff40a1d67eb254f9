//go:build ignore

// This program wrote the sample certificates of the fictional Northwind
// freight company in this directory (go run generate.go). Their keys are
// thrown away: only certificates are kept, so nothing here is a secret.
// The samples are committed; running it again makes new keys and serials,
// after which the x509 importer's golden file must be rewritten.
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log"
	"math/big"
	"net"
	"net/url"
	"os"
	"time"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		log.Fatal(err)
	}
	return t
}

func serial(hex string) *big.Int {
	n, _ := new(big.Int).SetString(hex, 16)
	return n
}

func issue(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		log.Fatalf("%s: %v", tmpl.Subject, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	return c
}

func write(name, header string, certs ...*x509.Certificate) {
	f, err := os.Create(name)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	f.WriteString(header)
	for _, c := range certs {
		f.WriteString("subject=" + c.Subject.String() + "\nissuer=" + c.Issuer.String() + "\n")
		pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func main() {
	org := []string{"Northwind Freight"}
	rootKey := must(rsa.GenerateKey(rand.Reader, 3072))
	rootTmpl := &x509.Certificate{
		SerialNumber: serial("4e57526f6f7401"), Subject: pkix.Name{CommonName: "Northwind Root CA", Organization: org, Country: []string{"NL"}},
		NotBefore: date("2024-01-01T00:00:00Z"), NotAfter: date("2044-01-01T00:00:00Z"),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	root := issue(rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)

	caKey := must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader))
	ca := issue(&x509.Certificate{
		SerialNumber: serial("4e57497373756531"), Subject: pkix.Name{CommonName: "Northwind Issuing CA 1", Organization: org},
		NotBefore: date("2025-06-01T00:00:00Z"), NotAfter: date("2030-06-01T00:00:00Z"),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}, root, &caKey.PublicKey, rootKey)

	gwKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	gw := issue(&x509.Certificate{
		SerialNumber: serial("0a7e3c91d2f4b85601"), Subject: pkix.Name{CommonName: "api.northwind.example", Organization: org},
		DNSNames:  []string{"api.northwind.example", "*.api.northwind.example"},
		NotBefore: date("2026-02-10T00:00:00Z"), NotAfter: date("2026-05-11T00:00:00Z"),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &gwKey.PublicKey, caKey)

	svidKey := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	spiffe := must(url.Parse("spiffe://northwind.example/ns/prod/sa/shipment-api"))
	svid := issue(&x509.Certificate{
		SerialNumber: serial("5f1d0c6a33b2e9"), Subject: pkix.Name{Organization: org, OrganizationalUnit: []string{"shipment-api"}},
		URIs: []*url.URL{spiffe}, IPAddresses: []net.IP{net.ParseIP("10.42.7.19")},
		NotBefore: date("2026-03-01T10:00:00Z"), NotAfter: date("2026-03-01T11:00:00Z"),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}, ca, &svidKey.PublicKey, caKey)

	legacyKey := must(rsa.GenerateKey(rand.Reader, 1024))
	legacyTmpl := &x509.Certificate{
		SerialNumber: serial("03e8"), Subject: pkix.Name{CommonName: "billing-legacy.corp.northwind.example", Organization: org, OrganizationalUnit: []string{"Billing"}},
		DNSNames: []string{"billing-legacy.corp.northwind.example"}, EmailAddresses: []string{"billing-ops@northwind.example"},
		NotBefore: date("2021-04-01T00:00:00Z"), NotAfter: date("2026-04-01T00:00:00Z"),
		SignatureAlgorithm: x509.SHA1WithRSA,
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:        []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	legacy := issue(legacyTmpl, legacyTmpl, &legacyKey.PublicKey, legacyKey)

	write("northwind-ca-bundle.pem", "# Northwind trust bundle: issuing CA, then root\n", ca, root)
	write("api-gateway-chain.pem", "# openssl s_client -showcerts -connect api.northwind.example:443\n", gw, ca)
	write("shipment-api-svid.pem", "", svid)
	write("billing-legacy.pem", "# self-signed, installed on the old billing host in 2021\n", legacy)
}
