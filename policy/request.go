package policy

import (
	"encoding/json"
	"fmt"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// Request is one decision request. The principal is named by Principal
// (an Identity by warden id or external id, or any entity of the user's
// model) or by Token, a warden-issued token whose verified claims name the
// identity and become context.token.
type Request struct {
	Principal *warden.EntityRef `json:"principal,omitempty"`
	Token     string            `json:"token,omitempty"`
	Action    warden.EntityRef  `json:"action"`   // type defaults to Action
	Resource  warden.EntityRef  `json:"resource"` // any entity of the user's model
	// Context is a Cedar JSON record (source_ip, environment, ...).
	Context json.RawMessage `json:"context,omitempty"`
	// Entities are extra entities in Cedar's JSON entity format (resource
	// attributes and parents), used for this request only.
	Entities json.RawMessage `json:"entities,omitempty"`
}

// Decision is the answer to a Request.
type Decision struct {
	ID       string `json:"id"`
	Decision string `json:"decision"` // allow or deny
	// Policies are the ids of the policies that determined the decision:
	// the forbids that matched on a deny, the permits on an allow; empty on
	// a default deny.
	Policies      []string         `json:"policies"`
	Errors        []string         `json:"errors"`
	PolicyVersion int64            `json:"policy_version"`
	Principal     warden.EntityRef `json:"principal"`
	IdentityID    string           `json:"identity_id,omitempty"`
	// WouldDeny is set on an allow given in monitor mode: the policy set
	// denied the request (Policies are the denying policies; none on a
	// default deny).
	WouldDeny bool `json:"would_deny,omitempty"`
}

// Allowed reports whether the decision is allow.
func (d *Decision) Allowed() bool { return d.Decision == "allow" }

// Limits on requests.
const (
	maxRefLen      = 2048
	maxContextLen  = 64 << 10
	maxEntitiesLen = 256 << 10
)

// parsed is a request decoded into Cedar values.
type parsed struct {
	action, resource types.EntityUID
	context          types.Record
	entities         types.EntityMap
}

// parseRequest checks and converts the user-supplied parts of req.
func parseRequest(req *Request) (*parsed, error) {
	var p parsed
	if req.Action.Type == "" {
		req.Action.Type = string(TypeAction)
	}
	var err error
	if p.action, err = entityUID("action", req.Action); err != nil {
		return nil, err
	}
	if p.resource, err = entityUID("resource", req.Resource); err != nil {
		return nil, err
	}
	p.context = types.Record{}
	if len(req.Context) > maxContextLen {
		return nil, warden.FieldErrorf("context", "context is larger than %d bytes", maxContextLen)
	}
	if len(req.Context) > 0 && string(req.Context) != "null" {
		if p.context, err = parseContext(req.Context); err != nil {
			return nil, warden.FieldErrorf("context", "context must be a Cedar JSON record: %v", clip(err.Error()))
		}
		if _, ok := p.context.Get("token"); ok {
			return nil, warden.FieldErrorf("context.token", "context.token is set by warden from a verified token; send the token in the token field")
		}
		if _, ok := p.context.Get("grant"); ok {
			return nil, warden.FieldErrorf("context.grant", "context.grant is set by warden from the principal's active access grants; it cannot be sent")
		}
	}
	if len(req.Entities) > maxEntitiesLen {
		return nil, warden.FieldErrorf("entities", "entities are larger than %d bytes", maxEntitiesLen)
	}
	if len(req.Entities) > 0 && string(req.Entities) != "null" {
		if err := json.Unmarshal(req.Entities, &p.entities); err != nil {
			return nil, warden.FieldErrorf("entities", "entities must be a Cedar JSON entity list: %v", clip(err.Error()))
		}
		for uid := range p.entities {
			if uid.Type == TypeIdentity || uid.Type == TypeTeam {
				return nil, warden.FieldErrorf("entities", "entities of type %s come from warden's inventory and cannot be sent", uid.Type)
			}
		}
	}
	return &p, nil
}

// entityUID checks an entity reference from a request.
func entityUID(field string, ref warden.EntityRef) (types.EntityUID, error) {
	if ref.Type == "" {
		return types.EntityUID{}, warden.FieldErrorf(field+".type", "%s.type is required", field)
	}
	typ, err := types.NewEntityType(ref.Type)
	if err != nil {
		return types.EntityUID{}, warden.FieldErrorf(field+".type", "%s.type %q is not a Cedar type name", field, clip(ref.Type))
	}
	if ref.ID == "" || len(ref.ID) > maxRefLen {
		return types.EntityUID{}, warden.FieldErrorf(field+".id", "%s.id must be 1-%d bytes", field, maxRefLen)
	}
	return types.NewEntityUID(typ, types.String(ref.ID)), nil
}

// refOf converts a Cedar uid back to a reference.
func refOf(uid types.EntityUID) warden.EntityRef {
	return warden.EntityRef{Type: string(uid.Type), ID: string(uid.ID)}
}

// tokenRecord is context.token for verified claims.
func tokenRecord(c *warden.TokenClaims, revoked, expired bool) types.Record {
	return types.NewRecord(types.RecordMap{
		"jti":       types.String(c.ID),
		"subject":   types.String(c.Subject),
		"scope":     stringSet(c.Scope),
		"audience":  stringSet(c.Audience),
		"actors":    stringSet(c.Actors),
		"delegated": types.Boolean(len(c.Actors) > 0),
		"revoked":   types.Boolean(revoked),
		"expired":   types.Boolean(expired),
	})
}

// withToken returns ctx extended with the token record.
func withToken(ctx types.Record, tok types.Record) types.Record {
	return withEntry(ctx, "token", tok)
}

// withEntry returns ctx extended with key set to v.
func withEntry(ctx types.Record, key types.String, v types.Value) types.Record {
	m := make(types.RecordMap, ctx.Len()+1)
	for k, v := range ctx.All() {
		m[k] = v
	}
	m[key] = v
	return types.NewRecord(m)
}

// diagnosticStrings turns Cedar's diagnostic into sorted policy ids and
// error texts.
func diagnosticStrings(diag cedar.Diagnostic) (policies, errs []string) {
	policies = make([]string, 0, len(diag.Reasons))
	for _, r := range diag.Reasons {
		policies = append(policies, string(r.PolicyID))
	}
	errs = make([]string, 0, len(diag.Errors))
	for _, e := range diag.Errors {
		errs = append(errs, fmt.Sprintf("policy %s: %s", e.PolicyID, e.Message))
	}
	sortStrings(policies)
	sortStrings(errs)
	return policies, errs
}

// requestFor builds the Cedar request of a parsed request for principal.
func requestFor(principal types.EntityUID, p *parsed) cedar.Request {
	return cedar.Request{Principal: principal, Action: p.action, Resource: p.resource, Context: p.context}
}
