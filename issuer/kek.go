package issuer

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
)

// KEKSize is the length of a key-encryption key: AES-256.
const KEKSize = 32

// KEK is the key-encryption key that seals the issuer's private keys at
// rest with AES-256-GCM. Each sealed key is bound to its key id as
// additional data, so a sealed blob cannot be moved to another key's row.
type KEK struct{ aead cipher.AEAD }

// ParseKEK reads a key-encryption key written as 64 hex digits, as
// standard or URL-safe base64 of 32 bytes, or as 32 raw bytes. Surrounding
// white space is ignored.
func ParseKEK(data []byte) (*KEK, error) {
	text := bytes.TrimSpace(data)
	var key []byte
	switch {
	case len(text) == 2*KEKSize:
		if k, err := hex.DecodeString(string(text)); err == nil {
			key = k
		}
	case len(text) == 44 || len(text) == 43:
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
			if k, err := enc.DecodeString(string(text)); err == nil && len(k) == KEKSize {
				key = k
				break
			}
		}
	}
	if key == nil && len(data) == KEKSize {
		key = data
	}
	if len(key) != KEKSize {
		return nil, errors.New("the key-encryption key must be 32 bytes: 64 hex digits, base64 of 32 bytes, or 32 raw bytes")
	}
	return newKEK(key)
}

// LoadKEK reads the key-encryption key from path when it is set, else from
// the environment variable env. It fails when neither holds a key, or when
// the file is readable by group or others.
func LoadKEK(path, env string) (*KEK, error) {
	if path != "" {
		info, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("key-encryption key file: %w", err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("key-encryption key file %s is readable by others (mode %v): chmod 600 it", path, info.Mode().Perm())
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("key-encryption key file: %w", err)
		}
		k, err := ParseKEK(data)
		if err != nil {
			return nil, fmt.Errorf("key-encryption key file %s: %w", path, err)
		}
		return k, nil
	}
	if v := os.Getenv(env); v != "" {
		k, err := ParseKEK([]byte(v))
		if err != nil {
			return nil, fmt.Errorf("key-encryption key in $%s: %w", env, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("no key-encryption key: set --kek-file or $%s (generate one with: head -c 32 /dev/urandom | base64)", env)
}

// GenerateKEK returns a new random key-encryption key, for demos and tests.
func GenerateKEK() (*KEK, error) {
	key := make([]byte, KEKSize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate key-encryption key: %w", err)
	}
	return newKEK(key)
}

func newKEK(key []byte) (*KEK, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key: %w", err)
	}
	return &KEK{aead: aead}, nil
}

func sealAAD(keyID string) []byte { return []byte("warden-issuer-key\x00" + keyID) }

// Seal encrypts plaintext for the key id: a random 12-byte nonce followed
// by the ciphertext and tag.
func (k *KEK) Seal(plaintext []byte, keyID string) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal key %s: %w", keyID, err)
	}
	return k.aead.Seal(nonce, nonce, plaintext, sealAAD(keyID)), nil
}

// Open decrypts what Seal produced for the same key id.
func (k *KEK) Open(sealed []byte, keyID string) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, fmt.Errorf("open key %s: sealed key is truncated", keyID)
	}
	out, err := k.aead.Open(nil, sealed[:n], sealed[n:], sealAAD(keyID))
	if err != nil {
		return nil, fmt.Errorf("open key %s: the key-encryption key does not decrypt it (wrong KEK, or the row was tampered with)", keyID)
	}
	return out, nil
}
