// Package x509 imports X.509 certificates from PEM files (single
// certificates, chains and bundles; `warden import x509` also turns a live
// TLS endpoint's chain into PEM) as certificate identities.
//
// Mapping, which governance rules and secret-scanning correlation rely on:
// each certificate is one identity of kind certificate and provider x509,
// its external id "serial=<serial in hex>;issuer=<issuer DN>" (the pair
// RFC 5280 makes unique), its name the subject common name (else the first SAN, else the
// subject). Labels prefixed "x509." hold the subject, issuer, serial, SANs
// (dns, ip, uri, email), the SPIFFE ID of an X.509-SVID (spiffe_id), the
// key type (RSA, ECDSA, Ed25519, DSA) and size in bits (key_type,
// key_bits), the signature algorithm as Go names it ("SHA256-RSA",
// "SHA1-RSA", "ECDSA-SHA256"), validity (not_before, not_after), is_ca,
// self_signed, key and extended key usages, and the certificate's SHA-256
// fingerprint. The purpose says what the certificate is for.
//
// Each certificate's public key is its credential: type certificate,
// public id "spki-sha256:<lower-hex SHA-256 of the DER
// SubjectPublicKeyInfo>" (the convention scan.Ledger uses to tie a leaked
// private key to its certificate), ExpiresAt the certificate's not-after
// and LastRotatedAt its not-before. Private keys in the input are never
// read: their blocks are skipped with a warning.
package x509

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// Source is the importer's name; it is also the provider of the
// identities it creates.
const Source = "x509"

// Provider of certificate identities.
const Provider warden.Provider = "x509"

// SPKIPrefix starts the public id of a certificate credential; see the
// package documentation.
const SPKIPrefix = "spki-sha256:"

// Limits on one input.
const (
	maxBlockBytes   = 1 << 20 // one PEM block
	maxCertificates = 10000   // certificates per input
)

// Parse reads the PEM blocks of r and returns one identity and one
// credential per distinct certificate. Text around the blocks (comments,
// openssl's subject= lines) is ignored; non-certificate blocks are skipped
// with a warning. A block that is not closed, not base64 or not a valid
// certificate is EINVALID naming ref and the block's number (the record).
func Parse(r io.Reader, ref string) (warden.InventoryBatch, []string, error) {
	batch := warden.InventoryBatch{Source: Source}
	var warnings []string
	br := bufio.NewReaderSize(r, 64<<10)
	seen := map[string]int{}     // identity external id -> block number
	byKey := map[string]string{} // credential public id -> external id
	blocks, anyText := 0, false
	for {
		block, err := nextBlock(br, ref, blocks+1)
		if err != nil {
			return batch, nil, err
		}
		if block == nil {
			break
		}
		if block.text {
			anyText = true
			continue
		}
		blocks++
		p, rest := pem.Decode(block.data)
		if p == nil || len(bytes.TrimSpace(rest)) != 0 {
			return batch, nil, discover.Malformed(ref, blocks, "PEM block %q is not valid base64 between its BEGIN and END lines", block.kind)
		}
		if p.Type != "CERTIFICATE" {
			warnings = append(warnings, skipped(blocks, p.Type))
			continue
		}
		cert, err := x509.ParseCertificate(p.Bytes)
		if err != nil {
			return batch, nil, discover.Malformed(ref, blocks, "not a valid X.509 certificate: %v", err)
		}
		id, cred := Certificate(cert)
		if first, dup := seen[id.ExternalID]; dup {
			warnings = append(warnings, fmt.Sprintf("block %d: the certificate of block %d again; imported once", blocks, first))
			continue
		}
		if len(seen) >= maxCertificates {
			return batch, nil, warden.Errorf(warden.ETOOLARGE, "%s: more than %d certificates in one input; split it", ref, maxCertificates)
		}
		seen[id.ExternalID] = blocks
		batch.Identities = append(batch.Identities, id)
		if other, reused := byKey[cred.Credential.PublicID]; reused {
			warnings = append(warnings, fmt.Sprintf("block %d: %s reuses the key of %s; the key is recorded on that certificate", blocks, id.Name, other))
			continue
		}
		byKey[cred.Credential.PublicID] = id.Name
		batch.Credentials = append(batch.Credentials, cred)
	}
	if blocks == 0 {
		if !anyText {
			return batch, nil, discover.Malformed(ref, 0, "the input is empty; expected PEM certificates")
		}
		return batch, nil, discover.Malformed(ref, 0, "no PEM block found; expected -----BEGIN CERTIFICATE----- blocks")
	}
	return batch, warnings, nil
}

// skipped is the warning for a PEM block that is not a certificate.
func skipped(n int, typ string) string {
	typ = discover.CleanText(typ, 64)
	if strings.Contains(typ, "PRIVATE KEY") {
		return fmt.Sprintf("block %d: a %s was skipped: warden never reads or stores private keys; remove it from the input and check who else can read it", n, typ)
	}
	return fmt.Sprintf("block %d: a %s block was skipped; only CERTIFICATE blocks are imported", n, typ)
}

// pemBlock is one armoured block of the input, or (text) a line outside
// any block.
type pemBlock struct {
	kind string
	data []byte
	text bool
}

// nextBlock returns the next PEM block, reading line by line so that only
// one block is in memory, or nil at the end of the input.
func nextBlock(r *bufio.Reader, ref string, n int) (*pemBlock, error) {
	var b *pemBlock
	for {
		line, err := readLine(r, ref, n)
		if err == io.EOF {
			if b != nil {
				return nil, discover.Malformed(ref, n, "PEM block %q has no -----END line", b.kind)
			}
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		trimmed := bytes.TrimSpace(line)
		if b == nil {
			if kind, ok := armour(trimmed, "-----BEGIN "); ok {
				b = &pemBlock{kind: kind}
				b.data = append(b.data, trimmed...)
				b.data = append(b.data, '\n')
				continue
			}
			if len(trimmed) > 0 {
				return &pemBlock{text: true}, nil
			}
			continue
		}
		b.data = append(b.data, trimmed...)
		b.data = append(b.data, '\n')
		if len(b.data) > maxBlockBytes {
			return nil, discover.Malformed(ref, n, "PEM block %q is larger than %d bytes", b.kind, maxBlockBytes)
		}
		if kind, ok := armour(trimmed, "-----END "); ok {
			if kind != b.kind {
				return nil, discover.Malformed(ref, n, "PEM block %q ends with -----END %s-----", b.kind, kind)
			}
			return b, nil
		}
	}
}

// armour reports whether line is "<prefix>KIND-----" and returns KIND.
func armour(line []byte, prefix string) (string, bool) {
	if !bytes.HasPrefix(line, []byte(prefix)) || !bytes.HasSuffix(line, []byte("-----")) || len(line) < len(prefix)+5 {
		return "", false
	}
	return discover.CleanText(string(line[len(prefix):len(line)-5]), 64), true
}

// readLine returns the next line without its end, bounded in length.
func readLine(r *bufio.Reader, ref string, n int) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, discover.Malformed(ref, n, "a line is longer than %d bytes; is this a PEM file?", r.Size())
	}
	if err == io.EOF && len(line) > 0 {
		return line, nil
	}
	if err != nil {
		return nil, err
	}
	return line[:len(line)-1], nil
}

// Certificate maps one certificate to its identity and credential; see the
// package documentation.
func Certificate(c *x509.Certificate) (*warden.Identity, *warden.ImportedCredential) {
	sum := sha256.Sum256(c.Raw)
	serial := serialHex(c)
	subject, issuer := c.Subject.String(), c.Issuer.String()
	id := &warden.Identity{
		Kind: warden.KindCertificate, Provider: Provider, Managed: true,
		ExternalID: discover.CleanText("serial="+serial+";issuer="+issuer, warden.MaxExternalIDLen),
		Name:       discover.CleanText(nameOf(c, serial), warden.MaxNameLen),
		Purpose:    discover.CleanText(purposeOf(c), warden.MaxTextLen),
		Labels:     map[string]string{"discovered-by": Source},
	}
	keyType, bits := keyFacts(c)
	set := func(k, v string) {
		if v != "" {
			discover.SetLabel(id, "x509."+k, v)
		}
	}
	set("subject", subject)
	set("issuer", issuer)
	set("serial", serial)
	set("key_type", keyType)
	if bits > 0 {
		set("key_bits", fmt.Sprint(bits))
	}
	set("signature_algorithm", c.SignatureAlgorithm.String())
	set("not_before", c.NotBefore.UTC().Format(time.RFC3339))
	set("not_after", c.NotAfter.UTC().Format(time.RFC3339))
	set("sha256", hex.EncodeToString(sum[:]))
	set("dns", strings.Join(c.DNSNames, ","))
	set("email", strings.Join(c.EmailAddresses, ","))
	var ips, uris []string
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	for _, u := range c.URIs {
		uris = append(uris, u.String())
		if u.Scheme == "spiffe" && id.Labels["x509.spiffe_id"] == "" {
			set("spiffe_id", u.String())
		}
	}
	set("ip", strings.Join(ips, ","))
	set("uri", strings.Join(uris, ","))
	set("is_ca", fmt.Sprint(c.BasicConstraintsValid && c.IsCA))
	set("self_signed", fmt.Sprint(selfSigned(c)))
	set("key_usage", strings.Join(keyUsages(c.KeyUsage), ","))
	set("ext_key_usage", strings.Join(extKeyUsages(c), ","))

	notBefore, notAfter := c.NotBefore.UTC(), c.NotAfter.UTC()
	cred := &warden.ImportedCredential{
		Identity: warden.IdentityRef{Provider: Provider, ExternalID: id.ExternalID},
		Credential: warden.Credential{
			Type: warden.CredentialCertificate, PublicID: SPKIPrefix + SPKIFingerprint(c),
			Description: discover.CleanText(fmt.Sprintf("%s key of certificate serial %s (SHA-256 %x)", keyType, serial, sum[:8]), warden.MaxTextLen),
			Status:      warden.CredentialActive, ExpiresAt: &notAfter, LastRotatedAt: &notBefore,
		},
	}
	return id, cred
}

// SPKIFingerprint is the lower-hex SHA-256 of the certificate's DER
// SubjectPublicKeyInfo, as Go marshals its public key (so that it equals
// what scan computes from the matching private key), or of the raw SPKI
// when Go cannot marshal the key.
func SPKIFingerprint(c *x509.Certificate) string {
	der, err := x509.MarshalPKIXPublicKey(c.PublicKey)
	if err != nil || c.PublicKey == nil {
		der = c.RawSubjectPublicKeyInfo
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// serialHex is the serial number in lower-case hex ("-" prefixed when a
// broken certificate has a negative one).
func serialHex(c *x509.Certificate) string {
	if c.SerialNumber == nil {
		return "none"
	}
	return c.SerialNumber.Text(16)
}

func nameOf(c *x509.Certificate, serial string) string {
	switch {
	case strings.TrimSpace(c.Subject.CommonName) != "":
		return c.Subject.CommonName
	case len(c.URIs) > 0:
		return c.URIs[0].String()
	case len(c.DNSNames) > 0:
		return c.DNSNames[0]
	case len(c.EmailAddresses) > 0:
		return c.EmailAddresses[0]
	case len(c.IPAddresses) > 0:
		return c.IPAddresses[0].String()
	case c.Subject.String() != "":
		return c.Subject.String()
	}
	return "certificate " + serial
}

// purposeOf says in words what the certificate is for.
func purposeOf(c *x509.Certificate) string {
	var what string
	switch {
	case c.BasicConstraintsValid && c.IsCA && selfSigned(c):
		what = "root certificate authority"
	case c.BasicConstraintsValid && c.IsCA:
		what = "intermediate certificate authority"
	default:
		var uses []string
		for _, u := range extKeyUsages(c) {
			switch u {
			case "server_auth":
				uses = append(uses, "TLS server")
			case "client_auth":
				uses = append(uses, "TLS client")
			case "code_signing":
				uses = append(uses, "code signing")
			case "email_protection":
				uses = append(uses, "e-mail")
			}
		}
		what = "certificate"
		if len(uses) > 0 {
			what = strings.Join(uses, " and ") + " certificate"
		}
		for _, u := range c.URIs {
			if u.Scheme == "spiffe" {
				what = "X.509-SVID (" + what + ") of " + u.String()
				break
			}
		}
		if !strings.HasPrefix(what, "X.509-SVID") && len(c.DNSNames) > 0 {
			what += " for " + strings.Join(c.DNSNames, ", ")
		}
	}
	return what + "; issued by " + orElse(c.Issuer.CommonName, c.Issuer.String())
}

func orElse(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// selfSigned reports whether the certificate names itself as its issuer
// (the signature is not checked: SHA-1 ones would not verify).
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject)
}
