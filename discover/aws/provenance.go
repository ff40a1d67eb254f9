package aws

import (
	"strings"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// Creation is what a CloudTrail creation event made: the identity (for
// CreateUser and CreateRole, upserted into the inventory as not onboarded),
// the access key (for CreateAccessKey, recorded as a credential of its
// user when the inventory has the user), and the provenance record naming
// who did it.
type Creation struct {
	Identity   *warden.Identity
	Credential *warden.ImportedCredential
	Provenance *warden.Provenance
}

// creationEvents are the IAM calls that create a non-human identity or one
// of its credentials. CreateLoginProfile gives a user a console password,
// the mark of a person, so it is not one of them.
var creationEvents = map[string]bool{"CreateUser": true, "CreateRole": true, "CreateAccessKey": true}

// userPaths remembers, for CreateAccessKey events that name a user only by
// name, the full ARN (with its path) of users created earlier in the same
// input. It is bounded, so memory stays flat however long the input is.
type userPaths struct {
	arns map[string]string
}

const maxUserPaths = 4096

func (u *userPaths) remember(account, name, arn string) {
	if u.arns == nil {
		u.arns = map[string]string{}
	}
	if len(u.arns) >= maxUserPaths {
		clear(u.arns)
	}
	u.arns[account+"/"+name] = arn
}

func (u *userPaths) arn(account, name string) string {
	if a, ok := u.arns[account+"/"+name]; ok {
		return a
	}
	return "arn:aws:iam::" + account + ":user/" + name
}

// Creation returns what the current record created, or nil when it is not
// a successful creation event by a known caller. Call it after Event.
func (p *CloudTrailParser) Creation() *Creation {
	r := &p.rec
	if r.EventSource != "iam.amazonaws.com" || !creationEvents[r.EventName] || r.ErrorCode != "" {
		return nil
	}
	creator, ref := creatorOf(r)
	if creator == "" {
		return nil
	}
	account := orDefault(r.Recipient, r.UserIdentity.AccountID)
	prov := &warden.Provenance{
		Provider: warden.ProviderAWS, Creator: discover.CleanText(creator, warden.MaxNameLen), CreatorRef: discover.CleanText(ref, warden.MaxExternalIDLen),
		Event: r.EventName, EventID: discover.CleanText(r.EventID, 1024), Source: SourceCloudTrail, Time: r.EventTime.UTC(),
	}
	c := &Creation{Provenance: prov}
	re := &r.ResponseElements
	switch r.EventName {
	case "CreateUser":
		name := orDefault(re.User.UserName, r.RequestParameters.UserName)
		arn := re.User.Arn
		if arn == "" && name != "" && account != "" {
			arn = "arn:aws:iam::" + account + ":user/" + name
		}
		if arn == "" {
			return nil
		}
		p.paths.remember(accountOf(arn), orDefault(name, lastSegment(arn)), arn)
		c.Identity = createdIdentity(warden.KindCloudUser, arn, orDefault(name, lastSegment(arn)))
	case "CreateRole":
		name := orDefault(re.Role.RoleName, r.RequestParameters.RoleName)
		arn := re.Role.Arn
		if arn == "" && name != "" && account != "" {
			arn = "arn:aws:iam::" + account + ":role/" + name
		}
		if arn == "" {
			return nil
		}
		c.Identity = createdIdentity(warden.KindCloudRole, arn, orDefault(name, lastSegment(arn)))
	case "CreateAccessKey":
		name := orDefault(re.AccessKey.UserName, r.RequestParameters.UserName)
		var arn string
		switch {
		case name != "" && account != "":
			arn = p.paths.arn(account, name)
		case name == "" && r.UserIdentity.Type == "IAMUser":
			arn = r.UserIdentity.Arn // a user creating a key for itself
		}
		if arn == "" {
			return nil
		}
		key := re.AccessKey.AccessKeyID
		if isLongTermKey(key) {
			prov.CredentialExternalID = key
			c.Credential = &warden.ImportedCredential{
				Identity: warden.IdentityRef{Provider: warden.ProviderAWS, ExternalID: discover.CleanText(arn, warden.MaxExternalIDLen)},
				Credential: warden.Credential{Type: warden.CredentialAccessKey, PublicID: key, Status: warden.CredentialActive,
					Description: "access key created by " + prov.Creator + " (CloudTrail " + prov.EventID + ")"},
			}
		}
		prov.IdentityExternalID = discover.CleanText(arn, warden.MaxExternalIDLen)
		return c
	}
	if c.Identity.Validate() != nil {
		return nil
	}
	prov.IdentityExternalID = c.Identity.ExternalID
	return c
}

func createdIdentity(kind warden.IdentityKind, arn, name string) *warden.Identity {
	id := &warden.Identity{Kind: kind, Provider: warden.ProviderAWS, ExternalID: discover.CleanText(arn, warden.MaxExternalIDLen),
		Name: discover.CleanText(name, warden.MaxNameLen), Labels: map[string]string{"discovered-by": SourceCloudTrail}}
	if a := accountOf(arn); a != "" {
		discover.SetLabel(id, "aws-account", a)
	}
	return id
}

// creatorOf names the person behind a call and the principal the log
// names: an IAM user by its user name, an assumed-role or federated
// session (SSO) by its session name ("alice@example.com"), the root user
// as root. AWS services acting on their own are nobody's doing: "".
func creatorOf(r *ctRecord) (creator, ref string) {
	u := &r.UserIdentity
	switch u.Type {
	case "IAMUser":
		return orDefault(u.UserName, lastSegment(u.Arn)), u.Arn
	case "AssumedRole", "FederatedUser":
		if u.Arn == "" {
			return "", ""
		}
		return lastSegment(u.Arn), u.Arn
	case "Root":
		return "root", orDefault(u.Arn, "arn:aws:iam::"+u.AccountID+":root")
	case "IdentityCenterUser":
		return strings.TrimSpace(u.UserName), orDefault(u.Arn, u.PrincipalID)
	}
	return "", ""
}
