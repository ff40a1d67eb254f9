package scan

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"
)

// keyRules detect private keys (PEM, OpenSSH, PuTTY) and JWTs.
func keyRules() []*Rule {
	return []*Rule{
		{
			ID:          "private-key",
			Description: "private key (PEM or OpenSSH armour: RSA, EC, DSA, PKCS#8, OpenSSH, PGP)",
			Type:        typePrivateKey,
			Keywords:    []string{"-----begin"},
			Block:       armouredKey,
			Positives:   []string{testRSAKeyPEM, testOpenSSHKey, testEscapedPKCS8},
			Negatives: []string{
				"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEexampleexampleexampleexampleexampleexampleexampleexample\n-----END PUBLIC KEY-----",
				"-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----",
				"if strings.HasPrefix(s, \"-----BEGIN RSA PRIVATE KEY-----\") {",
			},
		},
		{
			ID:          "putty-private-key",
			Description: "PuTTY private key file (.ppk)",
			Type:        typeSSHKey,
			Keywords:    []string{"putty-user-key-file-"},
			Block:       puttyKey,
			Positives:   []string{testPuTTYKey},
			Negatives: []string{
				"Save it as a PuTTY-User-Key-File-3 with puttygen.",
				"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: x\nPublic-Lines: 1\nAAAA\nPrivate-Lines: 1\n",
			},
		},
		{
			ID:          "jwt",
			Description: "JSON Web Token (bearer token, service-account token)",
			Type:        typeToken,
			Keywords:    []string{"eyj"},
			Pattern:     regexp.MustCompile(pre + `(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*)`),
			SecretGroup: 1,
			Check:       validJWT,
			Positives: []string{
				"Authorization: Bearer " + testJWT,
				`token: "` + testJWT + `"`,
			},
			Negatives: []string{
				"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0", // two segments: not a JWT
				"eyJub3Rqc29u.eyJub3Rqc29u.c2ln",       // segments are not JSON
			},
		},
	}
}

// validJWT accepts header.payload.signature whose header is a JSON object
// naming an algorithm and whose payload is a JSON object.
func validJWT(tok []byte) bool {
	parts := bytes.Split(tok, []byte("."))
	if len(parts) != 3 {
		return false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var payload map[string]any
	return decodeSegment(parts[0], &header) && header.Alg != "" && decodeSegment(parts[1], &payload)
}

func decodeSegment(seg []byte, v any) bool {
	raw, err := base64.RawURLEncoding.DecodeString(string(bytes.TrimRight(seg, "=")))
	return err == nil && json.Unmarshal(raw, v) == nil
}

// maxKeyBlock bounds how far after its BEGIN line a key's END line is
// looked for.
const maxKeyBlock = 64 << 10

var pemLabel = regexp.MustCompile(`^-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----`)

// armouredKey matches "-----BEGIN ... PRIVATE KEY-----", its base64 body
// and the matching END line, also when the line breaks are written as \n
// inside a JSON or YAML string. The body is the secret.
func armouredKey(data []byte, end int) []match {
	start := end - len("-----begin")
	m := pemLabel.FindSubmatchIndex(data[start:min(len(data), start+128)])
	if m == nil {
		return nil
	}
	label := data[start+m[2] : start+m[3]]
	bodyStart := start + m[1]
	limit := min(len(data), bodyStart+maxKeyBlock)
	footer := append(append([]byte("-----END "), label...), "-----"...)
	i := bytes.Index(data[bodyStart:limit], footer)
	if i < 0 {
		return nil
	}
	bodyEnd := bodyStart + i
	body := data[bodyStart:bodyEnd]
	if base64Chars(body) < 64 {
		return nil
	}
	// Trim the line breaks (real or escaped) around the body.
	s, e := bodyStart, bodyEnd
	for s < e && (isSpace(data[s]) || data[s] == '\\' && s+1 < e && data[s+1] == 'n') {
		if data[s] == '\\' {
			s++
		}
		s++
	}
	for e > s && (isSpace(data[e-1]) || e-2 >= s && data[e-2] == '\\' && data[e-1] == 'n') {
		if !isSpace(data[e-1]) {
			e--
		}
		e--
	}
	return []match{{start: start, end: bodyEnd + len(footer), secretStart: s, secretEnd: e}}
}

// puttyKey matches a PuTTY key file from its first line through the
// Private-MAC line; the private lines are the secret.
func puttyKey(data []byte, end int) []match {
	start := end - len("putty-user-key-file-")
	limit := min(len(data), start+maxKeyBlock)
	block := data[start:limit]
	if !bytes.HasPrefix(block, []byte("PuTTY-User-Key-File-")) {
		return nil
	}
	p := bytes.Index(block, []byte("\nPrivate-Lines:"))
	mac := bytes.Index(block, []byte("\nPrivate-MAC:"))
	if p < 0 || mac < p {
		return nil
	}
	nl := bytes.IndexByte(block[p+1:], '\n')
	if nl < 0 {
		return nil
	}
	secretStart := p + 1 + nl + 1
	if secretStart >= mac || base64Chars(block[secretStart:mac]) < 32 {
		return nil
	}
	macEnd := mac + 1
	if e := bytes.IndexByte(block[macEnd:], '\n'); e >= 0 {
		macEnd += e
	} else {
		macEnd = len(block)
	}
	return []match{{start: start, end: start + macEnd, secretStart: start + secretStart, secretEnd: start + mac}}
}

func base64Chars(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			n++
		}
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
