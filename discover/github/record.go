package github

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/warden-nhi/warden/discover"
)

// record is the part of a GitHub audit-log event warden uses; other
// members are skipped by the decoder.
type record struct {
	Time        time.Time
	DocumentID  string
	Action      string
	Actor       string
	ActorIsBot  bool
	User        string
	Org         string
	Repo        string
	ActorIP     string
	UserAgent   string
	CountryCode string

	AccessType   string // programmatic_access_type
	HashedToken  string // base64 SHA-256 of the token (or of the SSH key blob)
	TokenID      string
	TokenScopes  string
	Integration  string // GitHub App slug
	Installation string
	OAuthAppID   string
	OAuthApp     string

	KeyTitle       string
	KeyFingerprint string

	HeadBranch     string
	WorkflowRunID  string
	JobWorkflowRef string
	IDTokenWrite   bool
	StatusCode     int
}

// decodeRecord fills r from one event's JSON.
func decodeRecord(data []byte, r *record) error {
	var ts, created time.Time
	err := discover.Members(data, func(key string, v []byte) error {
		switch key {
		case "@timestamp":
			return timeOf(key, v, &ts)
		case "created_at":
			return timeOf(key, v, &created)
		case "_document_id":
			return str(key, v, &r.DocumentID)
		case "action":
			return str(key, v, &r.Action)
		case "actor":
			return str(key, v, &r.Actor)
		case "actor_is_bot":
			return boolean(key, v, &r.ActorIsBot)
		case "user":
			return str(key, v, &r.User)
		case "org":
			return str(key, v, &r.Org)
		case "repo":
			return str(key, v, &r.Repo)
		case "repository":
			if r.Repo == "" {
				return str(key, v, &r.Repo)
			}
		case "actor_ip":
			return str(key, v, &r.ActorIP)
		case "user_agent":
			return str(key, v, &r.UserAgent)
		case "actor_location":
			if discover.IsNull(v) {
				return nil
			}
			return object(key, v, func(k string, v []byte) error {
				if k == "country_code" {
					return str("actor_location.country_code", v, &r.CountryCode)
				}
				return nil
			})
		case "programmatic_access_type":
			return str(key, v, &r.AccessType)
		case "hashed_token":
			return str(key, v, &r.HashedToken)
		case "token_id":
			return id(key, v, &r.TokenID)
		case "token_scopes":
			return str(key, v, &r.TokenScopes)
		case "integration":
			return str(key, v, &r.Integration)
		case "installation_id":
			return id(key, v, &r.Installation)
		case "oauth_application_id":
			return id(key, v, &r.OAuthAppID)
		case "oauth_application", "oauth_application_name":
			return str(key, v, &r.OAuthApp)
		case "title":
			return str(key, v, &r.KeyTitle)
		case "fingerprint", "public_key_fingerprint":
			return str(key, v, &r.KeyFingerprint)
		case "head_branch":
			return str(key, v, &r.HeadBranch)
		case "workflow_run_id":
			return id(key, v, &r.WorkflowRunID)
		case "job_workflow_ref":
			return str(key, v, &r.JobWorkflowRef)
		case "permissions":
			// Actions job permissions: {"id-token": "write", ...}. Other
			// events use the name for other shapes; only an object counts.
			if len(v) == 0 || v[0] != '{' {
				return nil
			}
			return discover.Members(v, func(k string, v []byte) error {
				if k == "id-token" {
					s, err := discover.String(v)
					if err == nil && s == "write" {
						r.IDTokenWrite = true
					}
				}
				return nil
			})
		case "status_code", "status":
			var n int
			if json.Unmarshal(v, &n) == nil {
				r.StatusCode = n
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.Time = ts
	if r.Time.IsZero() {
		r.Time = created
	}
	return nil
}

// timeOf decodes a time given as Unix milliseconds (as the API and the
// exports write it) or as an RFC 3339 string.
func timeOf(field string, v []byte, dst *time.Time) error {
	if discover.IsNull(v) {
		return nil
	}
	if len(v) > 0 && v[0] == '"' {
		s, err := discover.String(v)
		if err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("field %s %q is not an RFC 3339 time", field, discover.CleanText(s, 40))
		}
		*dst = t.UTC()
		return nil
	}
	ms, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || ms < 0 || ms > 1e14 {
		f, ferr := strconv.ParseFloat(string(v), 64)
		if ferr != nil || f < 0 || f > 1e14 {
			return fmt.Errorf("field %s must be Unix milliseconds or an RFC 3339 string", field)
		}
		ms = int64(f)
	}
	*dst = time.UnixMilli(ms).UTC()
	return nil
}

// str decodes a string member; null leaves it empty.
func str(field string, v []byte, dst *string) error {
	s, err := discover.String(v)
	if err != nil {
		if discover.IsNotString(err) {
			return fmt.Errorf("field %s must be a string", field)
		}
		return err
	}
	*dst = s
	return nil
}

// id decodes an identifier written as a number or a string.
func id(field string, v []byte, dst *string) error {
	if len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9') {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("field %s must be an integer id", field)
		}
		*dst = strconv.FormatInt(n, 10)
		return nil
	}
	return str(field, v, dst)
}

func boolean(field string, v []byte, dst *bool) error {
	switch string(v) {
	case "true":
		*dst = true
	case "false", "null":
		*dst = false
	default:
		return fmt.Errorf("field %s must be true or false", field)
	}
	return nil
}

func object(field string, v []byte, fn func(string, []byte) error) error {
	if len(v) == 0 || v[0] != '{' {
		return fmt.Errorf("field %s must be an object", field)
	}
	return discover.Members(v, fn)
}
