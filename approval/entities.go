package approval

import (
	"github.com/cedar-policy/cedar-go/types"

	"github.com/warden-nhi/warden"
)

// identityEntity is the Identity entity uid a request is for, with the
// attributes approval policies test (kind, provider, external_id, name,
// owner, has_owner, environment, status, managed, risk_score); its labels
// are its tags.
func identityEntity(uid types.EntityUID, i *warden.Identity) types.Entity {
	tags := make(types.RecordMap, len(i.Labels))
	for k, v := range i.Labels {
		tags[types.String(k)] = types.String(v)
	}
	return types.Entity{
		UID:     uid,
		Parents: types.NewEntityUIDSet(),
		Attributes: types.NewRecord(types.RecordMap{
			"kind": types.String(i.Kind), "provider": types.String(i.Provider), "external_id": types.String(i.ExternalID),
			"name": types.String(i.Name), "owner": types.String(i.Owner), "has_owner": types.Boolean(i.Owner != ""),
			"environment": types.String(i.Environment), "status": types.String(i.Status), "managed": types.Boolean(i.Managed),
			"risk_score": types.Long(i.RiskScore),
		}),
		Tags: types.NewRecord(tags),
	}
}

// StringSet is list as a Cedar set of strings, for a request's context.
func StringSet(list []string) types.Set {
	vals := make([]types.Value, len(list))
	for i, s := range list {
		vals[i] = types.String(s)
	}
	return types.NewSet(vals...)
}
