package warden

import (
	"context"
	"encoding/hex"
	"time"
)

// CredentialType says what kind of secret or key a Credential is.
type CredentialType string

// Credential types.
const (
	CredentialAccessKey    CredentialType = "access_key"    // cloud access key pair (AWS AKIA...)
	CredentialAPIKey       CredentialType = "api_key"       // opaque API key or personal token
	CredentialClientSecret CredentialType = "client_secret" // OAuth client secret
	CredentialPassword     CredentialType = "password"      // console or basic-auth password
	CredentialCertificate  CredentialType = "certificate"   // X.509 certificate and its private key
	CredentialSSHKey       CredentialType = "ssh_key"       // SSH or deploy key
	CredentialToken        CredentialType = "token"         // bearer token (JWT, service-account token)
	CredentialPrivateKey   CredentialType = "private_key"   // signing key (GitHub App key, GCP SA key)
)

// CredentialTypes lists every valid credential type.
var CredentialTypes = []CredentialType{
	CredentialAccessKey, CredentialAPIKey, CredentialClientSecret, CredentialPassword,
	CredentialCertificate, CredentialSSHKey, CredentialToken, CredentialPrivateKey,
}

// Valid reports whether t is one of CredentialTypes.
func (t CredentialType) Valid() bool { return contains(CredentialTypes, t) }

// CredentialStatus is the state of a credential.
type CredentialStatus string

// Credential statuses.
const (
	CredentialActive   CredentialStatus = "active"
	CredentialInactive CredentialStatus = "inactive"
	CredentialRevoked  CredentialStatus = "revoked"
	CredentialExpired  CredentialStatus = "expired"
)

// CredentialStatuses lists every valid credential status.
var CredentialStatuses = []CredentialStatus{CredentialActive, CredentialInactive, CredentialRevoked, CredentialExpired}

// Valid reports whether s is one of CredentialStatuses.
func (s CredentialStatus) Valid() bool { return contains(CredentialStatuses, s) }

// Credential is a secret or key that lets an identity authenticate. warden
// never holds the secret itself: only its provider-side public id (an AWS
// access key id, a certificate serial, a key name) and the hex SHA-256
// fingerprint of the secret value, which is enough to recognise a leak.
type Credential struct {
	ID            string           `json:"id"`
	IdentityID    string           `json:"identity_id"`
	Type          CredentialType   `json:"type"`
	PublicID      string           `json:"public_id"`
	Fingerprint   string           `json:"fingerprint"` // lower-case hex SHA-256 of the secret, or ""
	Description   string           `json:"description"`
	Status        CredentialStatus `json:"status"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
	ExpiresAt     *time.Time       `json:"expires_at"`
	LastRotatedAt *time.Time       `json:"last_rotated_at"`
	LastUsedAt    *time.Time       `json:"last_used_at"`
}

// Validate checks a new credential and fills its default status.
func (c *Credential) Validate() error {
	if !c.Type.Valid() {
		return FieldErrorf("type", "type %q is not one of %s", c.Type, joinValues(CredentialTypes))
	}
	if err := checkText("public_id", c.PublicID, MaxNameLen, false); err != nil {
		return err
	}
	if err := ValidateFingerprint(c.Fingerprint); err != nil {
		return err
	}
	if c.PublicID == "" && c.Fingerprint == "" {
		return FieldErrorf("public_id", "a credential needs a public_id, a fingerprint or both")
	}
	if err := checkText("description", c.Description, MaxTextLen, false); err != nil {
		return err
	}
	if c.Status == "" {
		c.Status = CredentialActive
	}
	if !c.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", c.Status, joinValues(CredentialStatuses))
	}
	return nil
}

// ValidateFingerprint accepts "" or 64 lower-case hex digits.
func ValidateFingerprint(fp string) error {
	if fp == "" {
		return nil
	}
	if len(fp) != 64 {
		return FieldErrorf("fingerprint", "fingerprint must be the 64 hex digits of a SHA-256 digest, got %d characters", len(fp))
	}
	if _, err := hex.DecodeString(fp); err != nil {
		return FieldErrorf("fingerprint", "fingerprint must be hex: %v", err)
	}
	for i := 0; i < len(fp); i++ {
		if fp[i] >= 'A' && fp[i] <= 'F' {
			return FieldErrorf("fingerprint", "fingerprint must be lower-case hex")
		}
	}
	return nil
}

// CredentialUpdate lists the changeable fields of a credential; nil fields
// are left alone. Setting Fingerprint records a rotation: LastRotatedAt is
// set to now unless given.
type CredentialUpdate struct {
	Status        *CredentialStatus `json:"status,omitempty"`
	Description   *string           `json:"description,omitempty"`
	Fingerprint   *string           `json:"fingerprint,omitempty"`
	ExpiresAt     *time.Time        `json:"expires_at,omitempty"`
	LastRotatedAt *time.Time        `json:"last_rotated_at,omitempty"`
	LastUsedAt    *time.Time        `json:"last_used_at,omitempty"`
}

// Validate checks every non-nil field of the update.
func (u *CredentialUpdate) Validate() error {
	if u.Status != nil && !u.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", *u.Status, joinValues(CredentialStatuses))
	}
	if u.Description != nil {
		if err := checkText("description", *u.Description, MaxTextLen, false); err != nil {
			return err
		}
	}
	if u.Fingerprint != nil {
		if *u.Fingerprint == "" {
			return FieldErrorf("fingerprint", "fingerprint cannot be cleared")
		}
		if err := ValidateFingerprint(*u.Fingerprint); err != nil {
			return err
		}
	}
	return nil
}

// Empty reports whether the update changes nothing.
func (u *CredentialUpdate) Empty() bool {
	return u.Status == nil && u.Description == nil && u.Fingerprint == nil &&
		u.ExpiresAt == nil && u.LastRotatedAt == nil && u.LastUsedAt == nil
}

// CredentialFilter selects credentials. Zero fields match everything.
type CredentialFilter struct {
	IdentityID  string
	Type        CredentialType
	Status      CredentialStatus
	PublicID    string
	Fingerprint string
	Cursor      string
	Limit       int
}

// Validate checks the filter and normalises its page size.
func (f *CredentialFilter) Validate() error {
	if f.Type != "" && !f.Type.Valid() {
		return FieldErrorf("type", "type %q is not one of %s", f.Type, joinValues(CredentialTypes))
	}
	if f.Status != "" && !f.Status.Valid() {
		return FieldErrorf("status", "status %q is not one of %s", f.Status, joinValues(CredentialStatuses))
	}
	if err := ValidateFingerprint(f.Fingerprint); err != nil {
		return err
	}
	return normaliseLimit(&f.Limit)
}

// CredentialService manages the credentials recorded for identities. Every
// change is audited in the same transaction.
type CredentialService interface {
	// FindCredentialByID returns ENOTFOUND for an unknown id.
	FindCredentialByID(ctx context.Context, id string) (*Credential, error)

	// FindCredentials returns a page of credentials ordered by creation and
	// the next cursor ("" on the last page).
	FindCredentials(ctx context.Context, filter CredentialFilter) ([]*Credential, string, error)

	// CreateCredential stores a credential for an existing identity.
	// ENOTFOUND if the identity does not exist; ECONFLICT if the identity is
	// deprovisioned or another credential has the same type and public id
	// or the same fingerprint.
	CreateCredential(ctx context.Context, cred *Credential) error

	// UpdateCredential changes a credential's metadata.
	UpdateCredential(ctx context.Context, id string, upd CredentialUpdate) (*Credential, error)
}
