// Package k8s imports Kubernetes service accounts and RBAC from
// `kubectl get serviceaccounts,roles,clusterroles,rolebindings,clusterrolebindings
// -A -o json` (one or more List documents, concatenated).
//
// Mapping, which governance rules rely on: each ServiceAccount is a
// service_account identity (provider kubernetes, external id
// system:serviceaccount:<ns>:<name>, labels namespace and, for IRSA,
// aws-role-arn; legacy token Secrets become token credentials). Every rule
// of every Role or ClusterRole bound to it (directly, or through the groups
// system:serviceaccounts and system:serviceaccounts:<ns>) is a permission
// grant: Actions are the verbs, Resources the resources qualified by API
// group ("deployments.apps", "pods/exec", "*") or the non-resource URLs,
// Scope the namespace or "cluster", Via "<RoleKind>/<role>@<BindingKind>/<ns>/<binding>",
// and Conditions {"resourceNames": [...]} when the rule names objects.
package k8s

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// Source is the importer's name.
const Source = "k8s"

type meta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Annotations map[string]string `json:"annotations"`
	Labels      map[string]string `json:"labels"`
}

type rule struct {
	Verbs           []string `json:"verbs"`
	APIGroups       []string `json:"apiGroups"`
	Resources       []string `json:"resources"`
	ResourceNames   []string `json:"resourceNames"`
	NonResourceURLs []string `json:"nonResourceURLs"`
}

type subject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// object is any item of a List; only the fields of its kind are set.
type object struct {
	Kind     string    `json:"kind"`
	Metadata meta      `json:"metadata"`
	Items    []object  `json:"items"`
	Rules    []rule    `json:"rules"`
	Subjects []subject `json:"subjects"`
	RoleRef  struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"roleRef"`
	Secrets []struct {
		Name string `json:"name"`
	} `json:"secrets"`
}

// cluster is everything read from the input.
type cluster struct {
	serviceAccounts []object
	roles           map[string]object // "Role/ns/name" or "ClusterRole//name"
	bindings        []object
}

// Parse reads kubectl JSON (Lists or single objects, one after another)
// and returns the service accounts with their effective RBAC grants.
func Parse(r io.Reader, ref string) (warden.InventoryBatch, []string, error) {
	batch := warden.InventoryBatch{Source: Source}
	c := cluster{roles: map[string]object{}}
	dec := json.NewDecoder(bufio.NewReader(r))
	for n := 1; ; n++ {
		var doc object
		err := dec.Decode(&doc)
		if err == io.EOF {
			if n == 1 {
				return batch, nil, discover.Malformed(ref, 0, "the input is empty; expected kubectl get ... -o json output")
			}
			break
		}
		if err != nil {
			return batch, nil, discover.DecodeError(ref, n, dec.InputOffset(), err)
		}
		items := []object{doc}
		if doc.Kind == "List" || strings.HasSuffix(doc.Kind, "List") {
			items = doc.Items
		}
		for i, it := range items {
			if err := c.add(it); err != nil {
				return batch, nil, discover.Malformed(ref, n, "item %d (%s %s): %v", i+1, it.Kind, it.Metadata.Name, err)
			}
		}
	}
	warnings := c.build(&batch)
	return batch, warnings, nil
}

func (c *cluster) add(o object) error {
	switch o.Kind {
	case "ServiceAccount", "Role", "RoleBinding":
		if o.Metadata.Name == "" || o.Metadata.Namespace == "" {
			return fmt.Errorf("metadata.name and metadata.namespace are required")
		}
	case "ClusterRole", "ClusterRoleBinding":
		if o.Metadata.Name == "" {
			return fmt.Errorf("metadata.name is required")
		}
	default:
		return nil // other kinds are not about identities
	}
	switch o.Kind {
	case "ServiceAccount":
		c.serviceAccounts = append(c.serviceAccounts, o)
	case "Role":
		c.roles["Role/"+o.Metadata.Namespace+"/"+o.Metadata.Name] = o
	case "ClusterRole":
		c.roles["ClusterRole//"+o.Metadata.Name] = o
	default:
		if o.RoleRef.Kind != "Role" && o.RoleRef.Kind != "ClusterRole" {
			return fmt.Errorf("roleRef.kind %q is not Role or ClusterRole", o.RoleRef.Kind)
		}
		c.bindings = append(c.bindings, o)
	}
	return nil
}

// ServiceAccountID is the external id of a service account.
func ServiceAccountID(ns, name string) string { return "system:serviceaccount:" + ns + ":" + name }

func (c *cluster) build(batch *warden.InventoryBatch) []string {
	var warnings []string
	byID := map[string]*warden.Identity{}
	grants := map[string][]*warden.Grant{}
	var order []string
	addSA := func(ns, name string, managed bool) *warden.Identity {
		id := ServiceAccountID(ns, name)
		if i, ok := byID[id]; ok {
			return i
		}
		i := &warden.Identity{Kind: warden.KindServiceAccount, Provider: warden.ProviderKubernetes, ExternalID: id,
			Name: name, Managed: managed, Labels: map[string]string{"namespace": ns}}
		byID[id] = i
		order = append(order, id)
		grants[id] = []*warden.Grant{}
		return i
	}
	for _, sa := range c.serviceAccounts {
		i := addSA(sa.Metadata.Namespace, sa.Metadata.Name, true)
		if arn := sa.Metadata.Annotations["eks.amazonaws.com/role-arn"]; arn != "" {
			discover.SetLabel(i, "aws-role-arn", arn)
		}
		if team := sa.Metadata.Labels["team"]; team != "" {
			i.Owner = discover.CleanText(team, warden.MaxNameLen)
		}
		keepOwnerLabels(i, sa.Metadata.Labels, sa.Metadata.Annotations)
		for _, s := range sa.Secrets {
			batch.Credentials = append(batch.Credentials, &warden.ImportedCredential{
				Identity: warden.IdentityRef{Provider: warden.ProviderKubernetes, ExternalID: i.ExternalID},
				Credential: warden.Credential{Type: warden.CredentialToken, PublicID: "secret:" + sa.Metadata.Namespace + "/" + s.Name,
					Description: "long-lived service-account token Secret (no expiry)"},
			})
		}
	}
	for _, b := range c.bindings {
		ns := b.Metadata.Namespace
		roleKey := b.RoleRef.Kind + "/" + ns + "/" + b.RoleRef.Name
		if b.RoleRef.Kind == "ClusterRole" {
			roleKey = "ClusterRole//" + b.RoleRef.Name
		}
		role, ok := c.roles[roleKey]
		via := b.RoleRef.Kind + "/" + b.RoleRef.Name + "@" + b.Kind + "/" + strings.TrimPrefix(ns+"/"+b.Metadata.Name, "/")
		if !ok {
			warnings = append(warnings, fmt.Sprintf("%s refers to %s %s, which is not in the input; its permissions are unknown", via[strings.Index(via, "@")+1:], b.RoleRef.Kind, b.RoleRef.Name))
			continue
		}
		scope := "cluster"
		if b.Kind == "RoleBinding" {
			scope = ns
		}
		for _, s := range b.Subjects {
			var targets []*warden.Identity
			switch {
			case s.Kind == "ServiceAccount":
				sns := s.Namespace
				if sns == "" {
					sns = ns
				}
				targets = append(targets, addSA(sns, s.Name, true))
			case s.Kind == "Group" && s.Name == "system:serviceaccounts":
				for _, sa := range c.serviceAccounts {
					targets = append(targets, byID[ServiceAccountID(sa.Metadata.Namespace, sa.Metadata.Name)])
				}
			case s.Kind == "Group" && strings.HasPrefix(s.Name, "system:serviceaccounts:"):
				gns := strings.TrimPrefix(s.Name, "system:serviceaccounts:")
				for _, sa := range c.serviceAccounts {
					if sa.Metadata.Namespace == gns {
						targets = append(targets, byID[ServiceAccountID(sa.Metadata.Namespace, sa.Metadata.Name)])
					}
				}
			}
			for _, t := range targets {
				grants[t.ExternalID] = append(grants[t.ExternalID], rulesToGrants(role.Rules, via, scope)...)
			}
		}
	}
	for _, id := range order {
		i := byID[id]
		batch.Identities = append(batch.Identities, i)
		batch.Grants = append(batch.Grants, warden.IdentityGrants{Identity: warden.IdentityRef{Provider: i.Provider, ExternalID: id}, Grants: grants[id]})
	}
	return warnings
}

func rulesToGrants(rules []rule, via, scope string) []*warden.Grant {
	out := make([]*warden.Grant, 0, len(rules))
	for _, r := range rules {
		g := &warden.Grant{Kind: warden.GrantPermission, Effect: "allow", Actions: slices.Clone(r.Verbs), Principals: []string{},
			Via: via, Scope: scope, Source: Source}
		if g.Actions == nil {
			g.Actions = []string{}
		}
		for _, res := range r.Resources {
			groups := r.APIGroups
			if len(groups) == 0 {
				groups = []string{""}
			}
			for _, grp := range groups {
				switch {
				case res == "*" && (grp == "*" || grp == ""):
					g.Resources = append(g.Resources, "*")
				case grp == "" || res == "*":
					g.Resources = append(g.Resources, res)
				default:
					g.Resources = append(g.Resources, qualify(res, grp))
				}
			}
		}
		g.Resources = append(g.Resources, r.NonResourceURLs...)
		if g.Resources == nil {
			g.Resources = []string{}
		}
		slices.Sort(g.Resources)
		g.Resources = slices.Compact(g.Resources)
		if len(r.ResourceNames) > 0 {
			g.Conditions, _ = json.Marshal(map[string][]string{"resourceNames": r.ResourceNames})
		}
		out = append(out, g)
	}
	return out
}

// qualify writes a resource with its API group: "deployments.apps",
// "pods/exec" stays in the core group.
func qualify(res, group string) string {
	name, sub, hasSub := strings.Cut(res, "/")
	if group == "*" {
		group = "*"
	}
	q := name + "." + group
	if hasSub {
		q += "/" + sub
	}
	return q
}

// ownerKeys are the label and annotation names (after any domain prefix,
// compared case-insensitively) that say who answers for a service account.
// The team label is not among them: it sets Owner itself.
var ownerKeys = map[string]bool{"owner": true, "contact": true, "maintainer": true, "owner-email": true, "created-by": true}

// keepOwnerLabels records a service account's owner-naming labels and
// annotations as k8s/<key> labels, for owner suggestions.
func keepOwnerLabels(i *warden.Identity, maps ...map[string]string) {
	for _, m := range maps {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := strings.ToLower(k[strings.LastIndexByte(k, '/')+1:])
			if ownerKeys[name] && strings.TrimSpace(m[k]) != "" {
				discover.SetLabel(i, "k8s/"+k, m[k])
			}
		}
	}
}
