package scan

import (
	"bytes"
	"encoding/base64"
	"regexp"
)

// genericRules detect credentials by their context: passwords in database
// URLs, registry auth in Docker config files, and high-entropy values
// assigned to secret-sounding names.
func genericRules() []*Rule {
	return []*Rule{
		{
			ID:          "database-url-password",
			Description: "database or message-broker URL with a password",
			Type:        typePassword,
			Keywords: []string{"postgres://", "postgresql://", "mysql://", "mariadb://", "mongodb://", "mongodb+srv://",
				"redis://", "rediss://", "amqp://", "amqps://", "mssql://", "sqlserver://", "jdbc:postgresql://", "jdbc:mysql://"},
			Pattern:     regexp.MustCompile(`(?i)(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver)://[^\s:/@'"]*:([^\s@/'"` + "`" + `]{3,128})@[A-Za-z0-9._\-\[\]]+`),
			SecretGroup: 1,
			Check:       func(v []byte) bool { return !placeholder(v) },
			Positives: []string{
				"DATABASE_URL=postgres://billing:mUHv3O1tP2ESWNhfU5@db.prod.internal:5432/billing",
				`"mongodb+srv://etl:Mk6DVKnAx0fLtF@cluster0.example.net/orders"`,
				"redis://:Mk6DVKnAx0fLtF@cache.internal:6379/0",
			},
			Negatives: []string{
				"DATABASE_URL=postgres://billing:${DB_PASSWORD}@db.prod.internal:5432/billing",
				"postgres://billing@db.prod.internal/billing",
				"mysql://user:password@localhost/test",
				"postgres://app:<password>@host/db",
			},
		},
		{
			ID:          "docker-config-auth",
			Description: "registry credentials in a Docker config.json auth field",
			Type:        typePassword,
			Keywords:    []string{`"auth"`},
			Pattern:     regexp.MustCompile(`"auth"\s*:\s*"([A-Za-z0-9+/]{12,}={0,2})"`),
			SecretGroup: 1,
			Check:       dockerAuth,
			Positives: []string{
				`{"auths": {"registry.nw-freight.test": {"auth": "Y2ktYm90Ok9oN1R5ekVYaHVkT3pmQXVjTmZ6"}}}`,
			},
			Negatives: []string{
				`"auth": "bm90LWEtcGFpcg=="`,
				`"auth": ""`,
			},
		},
		{
			ID:          "generic-secret-assignment",
			Description: "high-entropy value assigned to a secret-sounding name",
			Type:        typeAPIKey,
			Keywords: []string{"secret", "token", "password", "passwd", "pwd", "api_key", "apikey", "api-key",
				"access_key", "accesskey", "auth_key", "authkey", "credential", "private_key"},
			Named: true,
			Pattern: assign(`(?:secret|token|password|passwd|pwd|api[_\-]?key|access[_\-]?key|auth[_\-]?key|credentials?|private[_\-]?key)[A-Za-z0-9_\-]*`,
				`([A-Za-z0-9_\-+/=.~@#%^!]{16,128})`),
			SecretGroup: 1,
			MinEntropy:  3.7,
			Check:       genericValue,
			Positives: []string{
				`API_TOKEN="z2E9afY6tZyFoKiGD4jslrZEiuwiX44v"`,
				"client_secret: EOqiW0wDkMTT-pbkBDv-DcVE",
				`password := "Mk6DVKnAx0fLtF9q"`,
			},
			Negatives: []string{
				`API_TOKEN="${API_TOKEN}"`,
				"password: correct-horse-battery-staple",
				`token = os.Getenv("API_TOKEN")`,
				"secret_name: prod/billing/stripe-api-key",
				"tokenizer_vocabulary_size = 1234567890123456",
			},
		},
	}
}

// dockerAuth accepts base64 of "user:password".
func dockerAuth(v []byte) bool {
	raw, err := base64.StdEncoding.DecodeString(string(v))
	if err != nil {
		return false
	}
	user, pass, ok := bytes.Cut(raw, []byte(":"))
	return ok && len(user) > 0 && len(pass) >= 3 && !placeholder(pass)
}

// genericValue accepts values that look random: letters and digits mixed,
// not a placeholder, not a path or dotted name.
func genericValue(v []byte) bool {
	if !mixed(v) || placeholder(v) {
		return false
	}
	return bytes.Count(v, []byte("/")) < 2 && bytes.Count(v, []byte(".")) < 2
}
