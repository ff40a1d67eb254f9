package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// SARIF 2.1.0 (OASIS), the subset code-scanning UIs read.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ShortDescription sarifText      `json:"shortDescription"`
	FullDescription  sarifText      `json:"fullDescription"`
	Help             sarifText      `json:"help"`
	DefaultConfig    sarifConfig    `json:"defaultConfiguration"`
	Properties       map[string]any `json:"properties"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
}

// WriteSARIF writes the findings as a SARIF 2.1.0 log with one run whose
// driver lists every rule of the scanner. Each result carries the secret's
// SHA-256 as a partial fingerprint (so code-scanning UIs track it across
// commits), its redacted preview, and the commit and identity when known.
func WriteSARIF(w io.Writer, rules []*Rule, findings []Finding, version string) error {
	driver := sarifDriver{Name: "warden", InformationURI: "https://github.com/warden-nhi/warden", Version: version}
	index := map[string]int{}
	for i, r := range rules {
		index[r.ID] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID:               r.ID,
			Name:             sarifName(r.ID),
			ShortDescription: sarifText{r.Description},
			FullDescription:  sarifText{r.Description + ": a hard-coded " + strings.ReplaceAll(string(r.Type), "_", " ") + " (OWASP NHI2, secret leakage)."},
			Help:             sarifText{"Revoke or rotate the credential at its provider, then remove it from the code and its history; load it at run time from a secret store or use short-lived credentials."},
			DefaultConfig:    sarifConfig{Level: "error"},
			Properties:       map[string]any{"tags": []string{"security", "secret", "NHI2"}, "security-severity": "8.0"},
		})
	}
	results := make([]sarifResult, 0, len(findings))
	for _, f := range findings {
		i, ok := index[f.Rule]
		if !ok {
			return fmt.Errorf("write SARIF: finding of unknown rule %q", f.Rule)
		}
		msg := fmt.Sprintf("%s: %s", f.Description, f.Preview)
		props := map[string]any{"preview": f.Preview, "credentialType": string(f.Type)}
		if f.Commit != "" {
			props["commit"], props["author"] = f.Commit, f.Author
			msg += " (added in commit " + f.Commit[:min(12, len(f.Commit))] + ")"
		}
		if f.PublicID != "" {
			props["publicId"] = f.PublicID
		}
		if f.KeyFingerprint != "" {
			props["keyFingerprint"] = f.KeyFingerprint
		}
		if c := f.Identity; c != nil {
			props["identity"] = c
			msg += fmt.Sprintf("; belongs to %s (%s), owner %q", c.ExternalID, c.Provider, c.Owner)
		}
		results = append(results, sarifResult{
			RuleID: f.Rule, RuleIndex: i, Level: "error",
			Message: sarifText{msg},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: sarifURI(f.File)},
				Region:           sarifRegion{StartLine: max(1, f.Line), StartColumn: max(1, f.Column)},
			}}},
			PartialFingerprints: map[string]string{"secretSha256/v1": f.Fingerprint},
			Properties:          props,
		})
	}
	log := sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}}}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("write SARIF: %w", err)
	}
	return nil
}

// sarifName turns "aws-access-key-id" into "AwsAccessKeyId".
func sarifName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// sarifURI renders a path as a relative URI reference.
func sarifURI(path string) string {
	path = strings.TrimPrefix(path, "./")
	u := url.URL{Path: path}
	return u.EscapedPath()
}
