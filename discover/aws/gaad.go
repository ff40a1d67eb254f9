// Package aws imports AWS IAM and CloudTrail exports: the output of `aws
// iam get-account-authorization-details` (GAAD), the IAM credential report
// CSV, and CloudTrail logs as S3 delivers them ({"Records":[...]}, gzip
// or plain) or as JSON Lines.
//
// Mapping, which governance rules rely on:
//   - IAM users are cloud_user identities, roles cloud_role identities,
//     keyed by ARN (with path). Labels: aws-account, aws-path, trust
//     (service, oidc, saml, same-account, cross-account, public, joined
//     with "+"), third-party ("true" when another account may assume the
//     role), trusted-accounts, aws-service-linked, instance-profile, and
//     tag/<key> for tags; the tags owner/team and env/environment fill
//     Owner and Environment.
//   - Every policy statement is a permission grant (via the policy ARN,
//     "inline:<name>", or "group:<group>:<policy>"), every trust-policy
//     statement a trust grant (via "trust-policy") whose Principals are
//     flattened ARNs, service names and federated provider ARNs, with the
//     Condition block kept verbatim. NotAction/NotResource statements
//     become grants on "*" with the exclusions in Conditions.
//   - The credential report's access keys are access_key credentials
//     keyed "<user ARN>#access_key_1" (the report has no key ids), the
//     console password a password credential "<user ARN>#console-password";
//     LastRotatedAt is when the key or password was set.
//   - CloudTrail records are events (source "cloudtrail", action
//     "<service>:<eventName>", principal the IAM user or role ARN).
package aws

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// Sources of the importers in this package.
const (
	SourceIAM              = "aws-iam"
	SourceCredentialReport = "aws-credential-report"
	SourceCloudTrail       = "cloudtrail"
)

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type inlinePolicy struct {
	PolicyName     string   `json:"PolicyName"`
	PolicyDocument document `json:"PolicyDocument"`
}

type attachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

type userDetail struct {
	Path                    string           `json:"Path"`
	UserName                string           `json:"UserName"`
	UserID                  string           `json:"UserId"`
	Arn                     string           `json:"Arn"`
	CreateDate              *time.Time       `json:"CreateDate"`
	UserPolicyList          []inlinePolicy   `json:"UserPolicyList"`
	GroupList               []string         `json:"GroupList"`
	AttachedManagedPolicies []attachedPolicy `json:"AttachedManagedPolicies"`
	Tags                    []tag            `json:"Tags"`
}

type groupDetail struct {
	GroupName               string           `json:"GroupName"`
	Arn                     string           `json:"Arn"`
	GroupPolicyList         []inlinePolicy   `json:"GroupPolicyList"`
	AttachedManagedPolicies []attachedPolicy `json:"AttachedManagedPolicies"`
}

type roleDetail struct {
	Path                     string     `json:"Path"`
	RoleName                 string     `json:"RoleName"`
	RoleID                   string     `json:"RoleId"`
	Arn                      string     `json:"Arn"`
	CreateDate               *time.Time `json:"CreateDate"`
	AssumeRolePolicyDocument document   `json:"AssumeRolePolicyDocument"`
	InstanceProfileList      []struct{ InstanceProfileName string }
	RolePolicyList           []inlinePolicy   `json:"RolePolicyList"`
	AttachedManagedPolicies  []attachedPolicy `json:"AttachedManagedPolicies"`
	Tags                     []tag            `json:"Tags"`
	RoleLastUsed             struct {
		LastUsedDate *time.Time `json:"LastUsedDate"`
		Region       string     `json:"Region"`
	} `json:"RoleLastUsed"`
}

type managedPolicy struct {
	PolicyName        string `json:"PolicyName"`
	Arn               string `json:"Arn"`
	PolicyVersionList []struct {
		Document         document `json:"Document"`
		VersionID        string   `json:"VersionId"`
		IsDefaultVersion bool     `json:"IsDefaultVersion"`
	} `json:"PolicyVersionList"`
}

// gaad is one page of get-account-authorization-details output.
type gaad struct {
	UserDetailList  []userDetail    `json:"UserDetailList"`
	GroupDetailList []groupDetail   `json:"GroupDetailList"`
	RoleDetailList  []roleDetail    `json:"RoleDetailList"`
	Policies        []managedPolicy `json:"Policies"`
}

// ParseGAAD reads GAAD output (one document, or several pages one after
// the other) and returns the inventory it describes: users and roles with
// their permission and trust grants. Warnings name what could not be
// resolved, such as a managed policy missing from the export.
func ParseGAAD(r io.Reader, ref string) (warden.InventoryBatch, []string, error) {
	batch := warden.InventoryBatch{Source: SourceIAM}
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	var all gaad
	dec := json.NewDecoder(br)
	for page := 1; ; page++ {
		var g gaad
		err := dec.Decode(&g)
		if err == io.EOF {
			if page == 1 {
				return batch, nil, discover.Malformed(ref, 0, "the input is empty; expected the JSON of aws iam get-account-authorization-details")
			}
			break
		}
		if err != nil {
			return batch, nil, discover.DecodeError(ref, page, dec.InputOffset(), err)
		}
		all.UserDetailList = append(all.UserDetailList, g.UserDetailList...)
		all.GroupDetailList = append(all.GroupDetailList, g.GroupDetailList...)
		all.RoleDetailList = append(all.RoleDetailList, g.RoleDetailList...)
		all.Policies = append(all.Policies, g.Policies...)
	}
	if len(all.UserDetailList)+len(all.RoleDetailList)+len(all.GroupDetailList)+len(all.Policies) == 0 {
		return batch, nil, discover.Malformed(ref, 0, "no UserDetailList, RoleDetailList, GroupDetailList or Policies: is this get-account-authorization-details output?")
	}
	b := &gaadBuilder{ref: ref, batch: &batch, policies: map[string]policyDocument{}, groups: map[string]groupDetail{}}
	return batch, b.warnings, b.build(all)
}

type gaadBuilder struct {
	ref      string
	batch    *warden.InventoryBatch
	policies map[string]policyDocument // default version by ARN
	groups   map[string]groupDetail
	warnings []string
}

func (b *gaadBuilder) build(g gaad) error {
	for n, p := range g.Policies {
		if p.Arn == "" {
			return discover.Malformed(b.ref, 0, "Policies[%d] has no Arn", n)
		}
		for _, v := range p.PolicyVersionList {
			if v.IsDefaultVersion {
				b.policies[p.Arn] = v.Document.policyDocument
			}
		}
	}
	for _, gr := range g.GroupDetailList {
		b.groups[gr.GroupName] = gr
	}
	for n, u := range g.UserDetailList {
		if err := b.user(u); err != nil {
			return discover.Malformed(b.ref, 0, "UserDetailList[%d] (%s): %v", n, u.UserName, err)
		}
	}
	for n, r := range g.RoleDetailList {
		if err := b.role(r); err != nil {
			return discover.Malformed(b.ref, 0, "RoleDetailList[%d] (%s): %v", n, r.RoleName, err)
		}
	}
	return nil
}

// permissions collects the grants of inline and attached policies.
func (b *gaadBuilder) permissions(owner string, prefix string, inline []inlinePolicy, attached []attachedPolicy, account string) ([]*warden.Grant, error) {
	var out []*warden.Grant
	for _, p := range inline {
		grants, err := grantsOf(p.PolicyDocument.policyDocument, warden.GrantPermission, prefix+"inline:"+p.PolicyName, account)
		if err != nil {
			return nil, err
		}
		out = append(out, grants...)
	}
	for _, p := range attached {
		doc, ok := b.policies[p.PolicyArn]
		if !ok {
			b.warn("%s: managed policy %s is attached but not in the export's Policies; its permissions are unknown", owner, p.PolicyArn)
			continue
		}
		grants, err := grantsOf(doc, warden.GrantPermission, prefix+p.PolicyArn, account)
		if err != nil {
			return nil, err
		}
		out = append(out, grants...)
	}
	return out, nil
}

func (b *gaadBuilder) user(u userDetail) error {
	if u.Arn == "" || u.UserName == "" {
		return fmt.Errorf("UserName and Arn are required")
	}
	account := accountOf(u.Arn)
	id := b.identity(warden.KindCloudUser, u.Arn, u.UserName, u.Path, u.Tags, u.CreateDate)
	grants, err := b.permissions(u.Arn, "", u.UserPolicyList, u.AttachedManagedPolicies, account)
	if err != nil {
		return err
	}
	for _, name := range u.GroupList {
		gr, ok := b.groups[name]
		if !ok {
			b.warn("%s: group %s is not in the export's GroupDetailList; its permissions are unknown", u.Arn, name)
			continue
		}
		more, err := b.permissions(u.Arn, "group:"+name+":", gr.GroupPolicyList, gr.AttachedManagedPolicies, account)
		if err != nil {
			return err
		}
		grants = append(grants, more...)
	}
	if len(u.GroupList) > 0 {
		groups := slices.Clone(u.GroupList)
		slices.Sort(groups)
		setLabel(id, "aws-groups", strings.Join(groups, ","))
	}
	b.add(id, grants)
	return nil
}

func (b *gaadBuilder) role(r roleDetail) error {
	if r.Arn == "" || r.RoleName == "" {
		return fmt.Errorf("RoleName and Arn are required")
	}
	account := accountOf(r.Arn)
	id := b.identity(warden.KindCloudRole, r.Arn, r.RoleName, r.Path, r.Tags, r.CreateDate)
	id.LastUsedAt = r.RoleLastUsed.LastUsedDate
	if strings.HasPrefix(r.Path, "/aws-service-role/") {
		id.Labels["aws-service-linked"] = "true"
	}
	if len(r.InstanceProfileList) > 0 {
		setLabel(id, "instance-profile", r.InstanceProfileList[0].InstanceProfileName)
	}
	grants, err := b.permissions(r.Arn, "", r.RolePolicyList, r.AttachedManagedPolicies, account)
	if err != nil {
		return err
	}
	if !r.AssumeRolePolicyDocument.present {
		return fmt.Errorf("AssumeRolePolicyDocument is missing")
	}
	trust, err := grantsOf(r.AssumeRolePolicyDocument.policyDocument, warden.GrantTrust, "trust-policy", account)
	if err != nil {
		return err
	}
	labelTrust(id, trust, account)
	b.add(id, append(grants, trust...))
	return nil
}

// labelTrust summarises who may assume a role in its labels.
func labelTrust(id *warden.Identity, trust []*warden.Grant, account string) {
	kinds := map[string]bool{}
	var others []string
	for _, g := range trust {
		if g.Effect != "allow" {
			continue
		}
		for _, p := range g.Principals {
			switch {
			case p == "*":
				kinds["public"] = true
			case strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazonaws.com.cn"):
				kinds["service"] = true
			case strings.Contains(p, ":oidc-provider/"):
				kinds["oidc"] = true
			case strings.Contains(p, ":saml-provider/"):
				kinds["saml"] = true
			case strings.HasPrefix(p, "arn:"):
				if a := accountOf(p); a != "" && a != account {
					kinds["cross-account"] = true
					others = append(others, a)
				} else {
					kinds["same-account"] = true
				}
			default:
				kinds["other"] = true
			}
		}
	}
	if len(kinds) == 0 {
		return
	}
	id.Labels["trust"] = strings.Join(sortedKeys(kinds), "+")
	if len(others) > 0 {
		slices.Sort(others)
		id.Labels["third-party"] = "true"
		setLabel(id, "trusted-accounts", strings.Join(slices.Compact(others), ","))
	}
}

func (b *gaadBuilder) identity(kind warden.IdentityKind, arn, name, path string, tags []tag, created *time.Time) *warden.Identity {
	id := &warden.Identity{
		Kind: kind, Provider: warden.ProviderAWS, ExternalID: arn, Name: name, Managed: true,
		Labels: map[string]string{}, FirstSeenAt: created,
	}
	if a := accountOf(arn); a != "" {
		id.Labels["aws-account"] = a
	}
	if path != "" && path != "/" {
		setLabel(id, "aws-path", path)
	}
	applyTags(id, tags)
	return id
}

func (b *gaadBuilder) add(id *warden.Identity, grants []*warden.Grant) {
	if grants == nil {
		grants = []*warden.Grant{}
	}
	for _, g := range grants {
		g.Source = SourceIAM
	}
	b.batch.Identities = append(b.batch.Identities, id)
	b.batch.Grants = append(b.batch.Grants, warden.IdentityGrants{
		Identity: warden.IdentityRef{Provider: id.Provider, ExternalID: id.ExternalID}, Grants: grants,
	})
}

func (b *gaadBuilder) warn(format string, args ...any) {
	if len(b.warnings) < discover.MaxWarnings {
		b.warnings = append(b.warnings, fmt.Sprintf(format, args...))
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
