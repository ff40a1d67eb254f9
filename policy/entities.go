package policy

import (
	"encoding/json"
	"time"

	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// Entity types warden defines (see warden.cedarschema).
const (
	TypeIdentity = types.EntityType("Identity")
	TypeTeam     = types.EntityType("Team")
	TypeAction   = types.EntityType("Action")
	// TypeRole is a named role an access grant gives: while the grant is
	// active, the identity is in Role::"<name>".
	TypeRole = types.EntityType("Role")
)

// IdentityFacts is what enrichment knows about one identity.
type IdentityFacts struct {
	Identity *warden.Identity
	// Credentials are the identity's active credentials.
	Credentials []*warden.Credential
	// OpenFindings are the rule ids of its open governance findings; nil
	// when no finding service is wired.
	OpenFindings []string
	// Grants are the identity's just-in-time access grants active at the
	// time of loading; nil when no access service is wired.
	Grants []*warden.AccessRequest
}

// IdentityUID is the Cedar uid of an identity: Identity::"<warden id>".
func IdentityUID(id string) types.EntityUID {
	return types.NewEntityUID(TypeIdentity, types.String(id))
}

// IdentityEntity builds the Cedar entity of an identity with its
// governance attributes, as of now. Its parent is the owner's Team, its
// tags are its labels.
func IdentityEntity(f IdentityFacts, now time.Time) types.Entity {
	i := f.Identity
	findings := make([]types.Value, 0, len(f.OpenFindings))
	for _, r := range f.OpenFindings {
		findings = append(findings, types.String(r))
	}
	attrs := types.RecordMap{
		"kind":                types.String(i.Kind),
		"provider":            types.String(i.Provider),
		"external_id":         types.String(i.ExternalID),
		"name":                types.String(i.Name),
		"owner":               types.String(i.Owner),
		"has_owner":           types.Boolean(i.Owner != ""),
		"environment":         types.String(i.Environment),
		"status":              types.String(i.Status),
		"managed":             types.Boolean(i.Managed),
		"open_findings":       types.NewSet(findings...),
		"has_credentials":     types.Boolean(len(f.Credentials) > 0),
		"credential_age_days": types.Long(credentialAgeDays(f.Credentials, now)),
		"grants":              grantSet(f.Grants, now),
	}
	if score, ok := riskScore(i); ok {
		attrs["risk_score"] = types.Long(score)
	}
	tags := make(types.RecordMap, len(i.Labels))
	for k, v := range i.Labels {
		tags[types.String(k)] = types.String(v)
	}
	var parents []types.EntityUID
	if i.Owner != "" {
		parents = append(parents, types.NewEntityUID(TypeTeam, types.String(i.Owner)))
	}
	for _, g := range f.Grants {
		if g.Scope.Role != "" && g.Active(now) {
			parents = append(parents, types.NewEntityUID(TypeRole, types.String(g.Scope.Role)))
		}
	}
	return types.Entity{UID: IdentityUID(i.ID), Parents: types.NewEntityUIDSet(parents...), Attributes: types.NewRecord(attrs), Tags: types.NewRecord(tags)}
}

// grantSet renders the grants active at now as the principal's grants
// attribute: a set of AccessGrant records (see warden.cedarschema).
func grantSet(grants []*warden.AccessRequest, now time.Time) types.Set {
	vals := make([]types.Value, 0, len(grants))
	for _, g := range grants {
		if !g.Active(now) {
			continue
		}
		vals = append(vals, types.NewRecord(types.RecordMap{
			"id":          types.String(g.ID),
			"role":        types.String(g.Scope.Role),
			"actions":     stringSet(g.Scope.Actions),
			"resources":   stringSet(g.Scope.Resources),
			"expires_at":  types.Long(g.ExpiresAt.Unix()),
			"break_glass": types.Boolean(g.BreakGlass),
		}))
	}
	return types.NewSet(vals...)
}

func stringSet(list []string) types.Set {
	vals := make([]types.Value, len(list))
	for i, s := range list {
		vals[i] = types.String(s)
	}
	return types.NewSet(vals...)
}

// grantRecord is context.grant: the active grant that covers a request.
func grantRecord(g *warden.AccessRequest) types.Record {
	return types.NewRecord(types.RecordMap{
		"id":          types.String(g.ID),
		"expires_at":  types.Long(g.ExpiresAt.Unix()),
		"break_glass": types.Boolean(g.BreakGlass),
	})
}

// coveringGrant returns the first grant active at now whose scope covers
// the action on the resource, or nil.
func coveringGrant(grants []*warden.AccessRequest, action, resource types.EntityUID, now time.Time) *warden.AccessRequest {
	for _, g := range grants {
		if g.Active(now) && g.Scope.Covers(string(action.ID), string(resource.Type), string(resource.ID)) {
			return g
		}
	}
	return nil
}

// credentialAgeDays is the age in whole days of the oldest active
// credential, counted from its last rotation or else its creation; 0 when
// there is none.
func credentialAgeDays(creds []*warden.Credential, now time.Time) int64 {
	var oldest time.Time
	for _, c := range creds {
		t := c.CreatedAt
		if c.LastRotatedAt != nil && c.LastRotatedAt.After(t) {
			t = *c.LastRotatedAt
		}
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
	}
	if oldest.IsZero() || now.Before(oldest) {
		return 0
	}
	return int64(now.Sub(oldest) / (24 * time.Hour))
}

// riskScore reads the identity's risk score from its JSON form, where the
// governance engine's "risk_score" field appears once the inventory carries
// it; until then identities have no risk_score attribute and policies test
// it with `principal has risk_score`.
func riskScore(i *warden.Identity) (int64, bool) {
	b, err := json.Marshal(i)
	if err != nil {
		return 0, false
	}
	var v struct {
		RiskScore *int64 `json:"risk_score"`
	}
	if json.Unmarshal(b, &v) != nil || v.RiskScore == nil {
		return 0, false
	}
	return *v.RiskScore, true
}

// layered is the EntityGetter of one decision: the enriched principal, the
// entities sent with the request, then the stored entities.
type layered struct {
	principal    *types.Entity
	request      types.EntityMap
	stored       types.EntityMap
	hasPrincipal bool
}

// Get implements types.EntityGetter.
func (l *layered) Get(uid types.EntityUID) (types.Entity, bool) {
	if l.hasPrincipal && uid == l.principal.UID {
		return *l.principal, true
	}
	if e, ok := l.request[uid]; ok {
		return e, true
	}
	e, ok := l.stored[uid]
	return e, ok
}

// StoredEntities converts stored policy entities into a Cedar entity map.
func StoredEntities(list []*warden.PolicyEntity) (types.EntityMap, error) {
	out := make(types.EntityMap, len(list))
	for _, e := range list {
		ent, err := cedarEntity(e)
		if err != nil {
			return nil, err
		}
		out[ent.UID] = ent
	}
	return out, nil
}

// cedarEntity converts one stored entity, checking its parts.
func cedarEntity(e *warden.PolicyEntity) (types.Entity, error) {
	typ, err := types.NewEntityType(e.Type)
	if err != nil {
		return types.Entity{}, warden.FieldErrorf("type", "entity type %q is not a Cedar type name", clip(e.Type))
	}
	parents := make([]types.EntityUID, 0, len(e.Parents))
	for _, p := range e.Parents {
		pt, err := types.NewEntityType(p.Type)
		if err != nil {
			return types.Entity{}, warden.FieldErrorf("parents", "parent type %q is not a Cedar type name", clip(p.Type))
		}
		parents = append(parents, types.NewEntityUID(pt, types.String(p.ID)))
	}
	attrs := types.Record{}
	if len(e.Attrs) > 0 && string(e.Attrs) != "null" {
		if err := json.Unmarshal(e.Attrs, &attrs); err != nil {
			return types.Entity{}, warden.FieldErrorf("attrs", "attrs of %s::%q is not a Cedar JSON record: %v", e.Type, clip(e.ID), err)
		}
	}
	return types.Entity{UID: types.NewEntityUID(typ, types.String(e.ID)), Parents: types.NewEntityUIDSet(parents...), Attributes: attrs, Tags: types.Record{}}, nil
}

// ValidateEntity checks a stored entity before it is written.
func ValidateEntity(e *warden.PolicyEntity) error {
	if e.ID == "" || len(e.ID) > warden.MaxExternalIDLen {
		return warden.FieldErrorf("id", "id must be 1-%d bytes", warden.MaxExternalIDLen)
	}
	if types.EntityType(e.Type) == TypeIdentity || types.EntityType(e.Type) == TypeTeam {
		return warden.FieldErrorf("type", "entities of type %s come from warden's inventory and cannot be stored", e.Type)
	}
	if len(e.Parents) > 64 {
		return warden.FieldErrorf("parents", "at most 64 parents are allowed")
	}
	_, err := cedarEntity(e)
	return err
}
