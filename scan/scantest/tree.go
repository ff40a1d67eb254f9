// Package scantest generates trees of realistic files for benchmarks of
// secret scanners: source code, configuration and CI files in which
// secret-sounding words are common and real-looking (random, fake)
// secrets are rare, as in a real monorepo.
package scantest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// TreeStats says what GenerateTree wrote.
type TreeStats struct {
	Files   int
	Bytes   int64
	Secrets int // fake secrets planted
}

// lines are typical lines of code and configuration; many name tokens,
// keys and passwords without holding one, which is what makes scanners
// work.
var lines = []string{
	"func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {",
	"	token := r.Header.Get(\"Authorization\")",
	"	if err := s.store.SaveSession(ctx, sessionID, userID); err != nil {",
	"		return fmt.Errorf(\"save session %s: %w\", sessionID, err)",
	"	}",
	"// passwordHash returns the bcrypt hash of the password.",
	"	password_min_length: 12",
	"	secret_name: prod/billing/stripe",
	"import { apiKey } from \"./config\";",
	"const timeoutMs = 30_000; // request timeout",
	"    - name: Install dependencies",
	"      run: npm ci --no-audit --prefer-offline",
	"  replicas: 3",
	"  image: registry.nw-freight.test/dispatch:1.42.0",
	"def rotate_keys(client, bucket_name, prefix=\"keys/\"):",
	"    for obj in client.list_objects(Bucket=bucket_name, Prefix=prefix):",
	"SELECT id, name, owner FROM identities WHERE status = 'active' ORDER BY name;",
	"	log.Info(\"refreshing credentials\", \"provider\", provider, \"expires_in\", ttl)",
	"		t.Fatalf(\"unexpected token type %q\", tok.Type)",
	"	return &Config{Region: region, Endpoint: endpoint, Retries: 3}, nil",
	"resource \"aws_iam_role\" \"deploy\" {",
	"  assume_role_policy = data.aws_iam_policy_document.assume.json",
	"  AUTH_TOKEN: ${{ secrets.AUTH_TOKEN }}",
	"export DATABASE_URL=\"postgres://app:${DB_PASSWORD}@db:5432/app\"",
	"	// Private keys are loaded from the KMS at start-up.",
	"		\"hash\": \"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\",",
	"}",
	"",
}

// secret formats planted in the tree; %s is random text of the length.
var secrets = []struct {
	format string
	n      int
}{
	{"aws_access_key_id = AKIA%s", 16},
	{"STRIPE_SECRET_KEY=sk_live_%s", 24},
	{"GITHUB_TOKEN=ghp_%s", 36},
	{"slack_token: xoxb-123456789012-1234567890123-%s", 24},
	{"npm_token=npm_%s", 36},
	{"DATABASE_URL=postgres://svc:%s@db.internal:5432/app", 16},
	{"api_secret = \"%s\"", 32},
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// GenerateTree writes at least total bytes of files under dir, in
// directories of up to 50 files of 8-96 KB, one fake secret per ~256 KB.
// The same seed writes the same tree.
func GenerateTree(dir string, total int64, seed uint64) (TreeStats, error) {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	exts := []string{".go", ".py", ".ts", ".yaml", ".tf", ".sql", ".md"}
	var st TreeStats
	var b strings.Builder
	for st.Bytes < total {
		sub := filepath.Join(dir, fmt.Sprintf("svc%03d", st.Files/50), fmt.Sprintf("pkg%d", st.Files%5))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return st, fmt.Errorf("generate tree: %w", err)
		}
		size := 8<<10 + rng.IntN(88<<10)
		b.Reset()
		for b.Len() < size {
			if rng.IntN(4000) == 0 {
				s := secrets[rng.IntN(len(secrets))]
				al := alnum
				if strings.Contains(s.format, "AKIA") {
					al = upper
				}
				fmt.Fprintf(&b, s.format+"\n", random(rng, al, s.n))
				st.Secrets++
				continue
			}
			b.WriteString(lines[rng.IntN(len(lines))])
			b.WriteByte('\n')
		}
		path := filepath.Join(sub, fmt.Sprintf("file%05d%s", st.Files, exts[st.Files%len(exts)]))
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			return st, fmt.Errorf("generate tree: %w", err)
		}
		st.Files++
		st.Bytes += int64(b.Len())
	}
	return st, nil
}

func random(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}
