package govern

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// checkCertExpiring fires per active certificate credential that expires
// within expiry_days or has expired.
func checkCertExpiring(s *Snapshot, e *env) []Hit {
	window := e.days("expiry_days")
	var hits []Hit
	for _, c := range s.Credentials {
		if c.Type != warden.CredentialCertificate || c.Status != warden.CredentialActive || c.ExpiresAt == nil {
			continue
		}
		left := c.ExpiresAt.Sub(s.Now)
		if left > window {
			continue
		}
		detail := fmt.Sprintf("Certificate %s expires in %d days (%s).", label(c), daysOf(left), c.ExpiresAt.Format(time.DateOnly))
		if left <= 0 {
			detail = fmt.Sprintf("Certificate %s expired %d days ago (%s) and is still active.", label(c), daysOf(-left), c.ExpiresAt.Format(time.DateOnly))
		}
		hits = append(hits, Hit{
			Subject:  c.ID,
			Detail:   detail,
			Evidence: map[string]any{"credential_id": c.ID, "serial": c.PublicID, "expires_at": c.ExpiresAt, "days_left": daysOf(left)},
		})
	}
	return hits
}

// certFacts reads the key algorithm, key size and signature algorithm an
// X.509 import records on a certificate identity's labels.
func certFacts(i *warden.Identity) (keyType string, bits int, sigAlg string) {
	keyType = strings.ToLower(labelValue(i, "key_type", "key_algorithm", "public_key_algorithm"))
	bits, _ = strconv.Atoi(labelValue(i, "key_bits", "key_size"))
	sigAlg = labelValue(i, "signature_algorithm", "sig_alg")
	return keyType, bits, sigAlg
}

func isCertificate(s *Snapshot) bool {
	if s.Identity.Kind == warden.KindCertificate {
		return true
	}
	for _, c := range s.Credentials {
		if c.Type == warden.CredentialCertificate && c.Status == warden.CredentialActive {
			return true
		}
	}
	return false
}

// checkCertWeakKey fires for RSA keys below min_rsa_bits, EC keys below
// min_ec_bits, and DSA keys.
func checkCertWeakKey(s *Snapshot, e *env) []Hit {
	if !isCertificate(s) {
		return nil
	}
	keyType, bits, _ := certFacts(s.Identity)
	var why string
	switch {
	case strings.Contains(keyType, "dsa") && !strings.Contains(keyType, "ecdsa"):
		why = "DSA keys are deprecated"
	case strings.Contains(keyType, "rsa") && bits > 0 && bits < int(e.param("min_rsa_bits")):
		why = fmt.Sprintf("RSA key of %d bits is below %d", bits, int(e.param("min_rsa_bits")))
	case (strings.Contains(keyType, "ec") || strings.Contains(keyType, "ecdsa")) && bits > 0 && bits < int(e.param("min_ec_bits")):
		why = fmt.Sprintf("EC key of %d bits is below %d", bits, int(e.param("min_ec_bits")))
	}
	if why == "" {
		return nil
	}
	return []Hit{{
		Detail:   why + ".",
		Evidence: map[string]any{"key_type": keyType, "key_bits": bits},
	}}
}

// checkCertSHA1 fires for certificates signed with SHA-1 or MD5.
func checkCertSHA1(s *Snapshot, _ *env) []Hit {
	if !isCertificate(s) {
		return nil
	}
	_, _, sig := certFacts(s.Identity)
	l := strings.ToLower(strings.ReplaceAll(sig, "-", ""))
	if !strings.Contains(l, "sha1") && !strings.Contains(l, "md5") && !strings.Contains(l, "md2") {
		return nil
	}
	return []Hit{{
		Detail:   fmt.Sprintf("Signed with %s.", sig),
		Evidence: map[string]any{"signature_algorithm": sig},
	}}
}
