package scan

import "time"

// Correlation is what the inventory knows about the identity a leaked
// secret belongs to: who it is, who answers for it, what it may do and
// when it was last used — the blast radius of the leak.
type Correlation struct {
	IdentityID   string     `json:"identity_id"`
	ExternalID   string     `json:"external_id"`
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`
	Provider     string     `json:"provider"`
	Owner        string     `json:"owner"`
	Environment  string     `json:"environment"`
	Status       string     `json:"status"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	CredentialID string     `json:"credential_id"`
	// CredentialStatus says whether the leaked credential is still live.
	CredentialStatus string `json:"credential_status"`
	// MatchedBy says how the secret was tied to the credential:
	// "fingerprint", "public_id" or "key_fingerprint".
	MatchedBy string `json:"matched_by"`
	// Permissions summarises the identity's allow grants ("iam:* on *"),
	// and Admin is true when one of them is a wildcard action.
	Permissions []string `json:"permissions"`
	Admin       bool     `json:"admin"`
}
