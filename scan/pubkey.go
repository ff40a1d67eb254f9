package scan

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"strconv"
)

// publicKeyFingerprint returns the hex SHA-256 of the DER
// SubjectPublicKeyInfo of the public half of the private key in block (a
// PEM or OpenSSH armoured key, or a PuTTY key file), or "" when it cannot
// be derived (encrypted PEM, unsupported algorithm, damaged data). This is
// how a leaked key is matched to the certificates that carry its public key.
func publicKeyFingerprint(block []byte) string {
	pub, err := PublicKeyOf(block)
	if err != nil {
		return ""
	}
	return SPKIFingerprint(pub)
}

// SPKIFingerprint is the hex SHA-256 of pub's DER SubjectPublicKeyInfo
// (the same value for a certificate and its private key), or "".
func SPKIFingerprint(pub crypto.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

var errNoKey = errors.New("no usable key")

// PublicKeyOf extracts the public key of the private key armoured in
// block. Key bodies are never returned or logged.
func PublicKeyOf(block []byte) (crypto.PublicKey, error) {
	if bytes.HasPrefix(block, []byte("PuTTY-User-Key-File-")) {
		return puttyPublicKey(block)
	}
	// Keys inside JSON or YAML strings write their line breaks as \n.
	text := bytes.ReplaceAll(block, []byte(`\n`), []byte("\n"))
	p, _ := pem.Decode(text)
	if p == nil {
		return nil, errNoKey
	}
	switch p.Type {
	case "OPENSSH PRIVATE KEY":
		return opensshPublicKey(p.Bytes)
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(p.Bytes)
		if err != nil {
			return nil, err
		}
		return &k.PublicKey, nil
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(p.Bytes)
		if err != nil {
			return nil, err
		}
		return &k.PublicKey, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(p.Bytes)
		if err != nil {
			return nil, err
		}
		if s, ok := k.(crypto.Signer); ok {
			return s.Public(), nil
		}
	}
	return nil, errNoKey
}

// opensshPublicKey reads the public key that the openssh-key-v1 format
// stores unencrypted in front of the (possibly encrypted) private part.
func opensshPublicKey(b []byte) (crypto.PublicKey, error) {
	const magic = "openssh-key-v1\x00"
	if !bytes.HasPrefix(b, []byte(magic)) {
		return nil, errNoKey
	}
	r := wire(b[len(magic):])
	r.next() // cipher name
	r.next() // KDF name
	r.next() // KDF options
	if n, ok := r.uint32(); !ok || n < 1 {
		return nil, errNoKey
	}
	blob, ok := r.next()
	if !ok {
		return nil, errNoKey
	}
	return sshWirePublicKey(blob)
}

// puttyPublicKey reads the Public-Lines of a PuTTY key file.
func puttyPublicKey(block []byte) (crypto.PublicKey, error) {
	i := bytes.Index(block, []byte("\nPublic-Lines:"))
	if i < 0 {
		return nil, errNoKey
	}
	rest := block[i+len("\nPublic-Lines:"):]
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return nil, errNoKey
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(rest[:nl])))
	if err != nil || n < 1 || n > 64 {
		return nil, errNoKey
	}
	lines := bytes.SplitN(rest[nl+1:], []byte("\n"), n+1)
	if len(lines) < n {
		return nil, errNoKey
	}
	blob, err := base64.StdEncoding.DecodeString(string(bytes.Join(lines[:n], nil)))
	if err != nil {
		return nil, err
	}
	return sshWirePublicKey(blob)
}

// sshWirePublicKey decodes an SSH wire-format public key (RFC 4253 6.6).
func sshWirePublicKey(blob []byte) (crypto.PublicKey, error) {
	r := wire(blob)
	algo, ok := r.next()
	if !ok {
		return nil, errNoKey
	}
	switch string(algo) {
	case "ssh-ed25519":
		k, ok := r.next()
		if !ok || len(k) != ed25519.PublicKeySize {
			return nil, errNoKey
		}
		return ed25519.PublicKey(bytes.Clone(k)), nil
	case "ssh-rsa":
		e, ok1 := r.next()
		n, ok2 := r.next()
		if !ok1 || !ok2 || len(e) > 4 || len(n) == 0 {
			return nil, errNoKey
		}
		ev := new(big.Int).SetBytes(e)
		if !ev.IsInt64() || ev.Int64() < 3 {
			return nil, errNoKey
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(ev.Int64())}, nil
	case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
		r.next() // curve name, implied by the algorithm
		point, ok := r.next()
		if !ok {
			return nil, errNoKey
		}
		curve := map[string]elliptic.Curve{
			"ecdsa-sha2-nistp256": elliptic.P256(), "ecdsa-sha2-nistp384": elliptic.P384(), "ecdsa-sha2-nistp521": elliptic.P521(),
		}[string(algo)]
		k, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, err
		}
		return k, nil
	}
	return nil, errNoKey
}

// wire reads SSH wire-format fields.
type wire []byte

func (w *wire) uint32() (uint32, bool) {
	if len(*w) < 4 {
		return 0, false
	}
	v := binary.BigEndian.Uint32(*w)
	*w = (*w)[4:]
	return v, true
}

func (w *wire) next() ([]byte, bool) {
	n, ok := w.uint32()
	if !ok || uint64(n) > uint64(len(*w)) {
		return nil, false
	}
	v := (*w)[:n]
	*w = (*w)[n:]
	return v, true
}
