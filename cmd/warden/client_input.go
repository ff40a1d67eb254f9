package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-nhi/warden"
)

// parseLabels turns repeated "key=value" flags into a map. With bare, a
// flag without '=' means "key present" (an empty value), as in filters.
// Empty flag values are skipped, so `--label ”` yields an empty map.
func parseLabels(values []string, bare bool) (map[string]string, error) {
	labels := map[string]string{}
	for _, v := range values {
		if v == "" {
			continue
		}
		k, val, ok := strings.Cut(v, "=")
		if !ok && !bare {
			return nil, fmt.Errorf("--label %q: want key=value", v)
		}
		if k == "" {
			return nil, fmt.Errorf("--label %q: the key is empty", v)
		}
		labels[k] = val
	}
	return labels, nil
}

// parseDate reads a date as YYYY-MM-DD (midnight UTC) or RFC 3339.
func parseDate(flag, s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s %q: want a date as YYYY-MM-DD or RFC 3339 (2026-01-02T15:04:05Z)", flag, s)
	}
	return t, nil
}

// maxSecretBytes bounds what --secret-stdin reads.
const maxSecretBytes = 64 << 10

// secretFingerprint reads a secret from r and returns the lower-case hex
// SHA-256 of it. One trailing newline (as `echo` adds) is removed. The
// secret itself goes nowhere: only its digest leaves this function.
func secretFingerprint(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("read secret from stdin: %w", err)
	}
	if len(b) > maxSecretBytes {
		return "", fmt.Errorf("the secret on stdin is longer than %d bytes", maxSecretBytes)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return "", errors.New("--secret-stdin: stdin is empty; pipe the secret in, e.g. `pbpaste | warden credentials add …`")
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// fingerprintFlag resolves --fingerprint and --secret-stdin into a
// fingerprint, "" when neither was given.
func fingerprintFlag(cmd *cobra.Command, hexFP string, fromStdin bool) (string, error) {
	if fromStdin {
		return secretFingerprint(cmd.InOrStdin())
	}
	fp := strings.ToLower(strings.TrimSpace(hexFP))
	if err := warden.ValidateFingerprint(fp); err != nil {
		return "", fmt.Errorf("--fingerprint: %s", warden.ErrorMessage(err))
	}
	return fp, nil
}
