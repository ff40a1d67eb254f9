package monitor

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
)

// tamperActions stop, delete or narrow audit logging.
var tamperActions = map[string]string{
	"cloudtrail:StopLogging": "stopped CloudTrail logging", "cloudtrail:DeleteTrail": "deleted a CloudTrail trail",
	"cloudtrail:UpdateTrail": "changed a CloudTrail trail", "cloudtrail:PutEventSelectors": "changed which events a CloudTrail trail records",
	"guardduty:DeleteDetector":    "deleted a GuardDuty detector",
	"audit_log_streaming.destroy": "removed the organisation's audit-log stream", "audit_log_streaming.update": "changed the organisation's audit-log stream",
	"delete auditsinks": "deleted a Kubernetes audit sink", "delete auditsinks.auditregistration.k8s.io": "deleted a Kubernetes audit sink",
}

func checkTampering(c *check) *hit {
	what, ok := tamperActions[c.e.Action]
	if !ok {
		return nil
	}
	h := &hit{explanation: fmt.Sprintf("%s %s (%s on %s)", c.e.Principal, what, c.e.Action, orNone(c.e.Resource))}
	if c.e.Outcome != warden.OutcomeAllow {
		h.severity = warden.SeverityHigh
		h.explanation = fmt.Sprintf("%s tried and failed (%s) to do what would have %s (%s)", c.e.Principal, c.e.ErrorCode, what, c.e.Action)
	}
	return h
}

// persistenceActions create credentials, sign-in, trust or privileges.
var persistenceActions = map[string]struct{ technique, what string }{
	"iam:CreateAccessKey":                 {"T1098.001", "created an access key"},
	"iam:CreateLoginProfile":              {"T1098.001", "created a console login profile"},
	"iam:UpdateLoginProfile":              {"T1098.001", "changed a console password"},
	"iam:CreateServiceSpecificCredential": {"T1098.001", "created a service-specific credential"},
	"iam:UploadSSHPublicKey":              {"T1098.004", "uploaded an SSH public key"},
	"iam:UpdateAssumeRolePolicy":          {"T1098.003", "changed a role's trust policy"},
	"iam:AttachUserPolicy":                {"T1098.003", "attached a policy to a user"},
	"iam:AttachRolePolicy":                {"T1098.003", "attached a policy to a role"},
	"iam:PutUserPolicy":                   {"T1098.003", "put an inline policy on a user"},
	"iam:PutRolePolicy":                   {"T1098.003", "put an inline policy on a role"},
	"iam:AddUserToGroup":                  {"T1098.003", "added a user to a group"},
	"iam:CreateUser":                      {"T1136.003", "created an IAM user"},
	"create rolebindings":                 {"T1098.006", "created a RoleBinding"},
	"create clusterrolebindings":          {"T1098.006", "created a ClusterRoleBinding"},
	"update clusterrolebindings":          {"T1098.006", "changed a ClusterRoleBinding"},
	"patch clusterrolebindings":           {"T1098.006", "changed a ClusterRoleBinding"},
	// As the Kubernetes audit log names them, with the API group.
	"create rolebindings.rbac.authorization.k8s.io":        {"T1098.006", "created a RoleBinding"},
	"create clusterrolebindings.rbac.authorization.k8s.io": {"T1098.006", "created a ClusterRoleBinding"},
	"update clusterrolebindings.rbac.authorization.k8s.io": {"T1098.006", "changed a ClusterRoleBinding"},
	"patch clusterrolebindings.rbac.authorization.k8s.io":  {"T1098.006", "changed a ClusterRoleBinding"},
	"create serviceaccounts/token":                         {"T1528", "minted a service-account token"},
	"public_key.create":                                    {"T1098.004", "added a deploy key"},
	"org.add_member":                                       {"T1098.003", "added an organisation member"},
	"repo.add_member":                                      {"T1098.003", "added a repository collaborator"},
	"personal_access_token.access_granted":                 {"T1098.001", "granted a personal access token"},
	"oauth_application.create":                             {"T1098.001", "created an OAuth application"},
	"integration_installation.create":                      {"T1098.001", "installed a GitHub App"},
}

func checkPersistence(c *check) *hit {
	act, ok := persistenceActions[c.e.Action]
	if !ok || c.e.Outcome != warden.OutcomeAllow {
		return nil
	}
	// Pipelines and controllers that do this routinely did it before: only
	// the first time an identity does it is flagged.
	if c.p.Actions.has(c.e.Action) {
		return nil
	}
	return &hit{technique: act.technique, explanation: fmt.Sprintf("%s %s (%s on %s), which it had not done before", c.e.Principal, act.what, c.e.Action, orNone(c.e.Resource))}
}

func checkOffWorkload(c *check) *hit {
	if !c.f.workload || !c.f.hasIP {
		return nil
	}
	s := c.p.Sessions[c.e.Session]
	if s == nil || s.Networks.has(c.f.network) || !c.p.fire(DetOffWorkload+"|"+c.e.Session+"|"+c.f.network, c.e.Time, 24*time.Hour) {
		return nil
	}
	h := &hit{extraIDs: []string{s.LastRaw}}
	h.explanation = fmt.Sprintf("credential of workload session %s of %s used from %s (network %s), a network that workload never used (it used %s from %s)",
		c.e.Session, c.e.Principal, c.e.SourceIP, c.f.network, orNone(s.LastUA), s.LastIP)
	if c.f.agent != "" && !s.Agents.has(c.f.agent) {
		h.severity = warden.SeverityCritical
		h.explanation += fmt.Sprintf(", with a user agent (%s) the workload never used", c.f.agent)
	}
	return h
}

func checkNewNetwork(c *check) *hit {
	if !c.f.hasIP || c.p.Networks.has(c.f.network) || !c.p.fire(DetNewNetwork+"|"+c.f.network, c.e.Time, 24*time.Hour) {
		return nil
	}
	return &hit{explanation: fmt.Sprintf("%s acted (%s) from %s in network %s, outside the %d networks of its baseline",
		c.e.Principal, c.e.Action, c.e.SourceIP, c.f.network, len(c.p.Networks))}
}

func checkNewAgent(c *check) *hit {
	if c.f.agent == "" || c.p.Agents.has(c.f.agent) || !c.p.fire(DetNewAgent+"|"+c.f.agent, c.e.Time, 24*time.Hour) {
		return nil
	}
	return &hit{explanation: fmt.Sprintf("%s used user-agent family %q (%s), not among the %s of its baseline",
		c.e.Principal, c.f.agent, clipUA(c.e.UserAgent), joinKeys(c.p.Agents, 5))}
}

func checkRateSpike(c *check) *hit {
	r := &c.p.Rate
	if r.N < int64(c.cfg.MinRateHours) || r.Fired || c.e.Time.Unix()/3600 != r.Hour {
		return nil
	}
	limit := max(r.Mean*c.cfg.RateFactor, r.Mean+6*r.std(), float64(c.cfg.RateMinEvents))
	// The event is counted after the detectors run.
	if float64(r.Count+1) <= limit {
		return nil
	}
	r.Fired = true
	return &hit{explanation: fmt.Sprintf("%s made %d calls in the hour from %s, against %.0f±%.0f per active hour over %d hours of history",
		c.e.Principal, r.Count+1, time.Unix(r.Hour*3600, 0).UTC().Format("2006-01-02 15:00"), r.Mean, r.std(), r.N)}
}

func checkBulkSecrets(c *check) *hit {
	if !c.f.secretRead {
		return nil
	}
	c.p.secrets.add(c.e, c.e.Resource, c.f.namespace, c.cfg.SecretWindow)
	// Distinct secrets are counted in the reused scratch set; the few
	// namespaces in a small one.
	secrets, namespaces := c.scratch, map[string]bool{}
	clear(secrets)
	for _, k := range c.p.secrets.keys {
		secrets[k.key] = true
		if k.sub != "" {
			namespaces[k.sub] = true
		}
	}
	nSecrets := len(secrets)
	if !c.learned {
		c.p.SecretPeak, c.p.NamespacePeak = max(c.p.SecretPeak, nSecrets), max(c.p.NamespacePeak, len(namespaces))
		return nil
	}
	var why string
	switch {
	case len(namespaces) >= c.cfg.NamespaceBurst && len(namespaces) > c.p.NamespacePeak:
		why = fmt.Sprintf("Kubernetes secrets in %d namespaces (%s)", len(namespaces), joinKeys(namespaces, 5))
	case nSecrets >= c.cfg.SecretBurst && nSecrets > c.p.SecretPeak:
		why = fmt.Sprintf("%d distinct secrets or parameters", nSecrets)
	default:
		return nil
	}
	if !c.p.fire(DetBulkSecrets, c.e.Time, time.Hour) {
		return nil
	}
	return &hit{evidence: c.p.secrets.evidence(),
		explanation: fmt.Sprintf("%s read %s within %s; its baseline peak is %d secrets in %d namespaces",
			c.e.Principal, why, c.cfg.SecretWindow, c.p.SecretPeak, c.p.NamespacePeak)}
}

func checkDenyProbing(c *check) *hit {
	if c.e.Outcome != warden.OutcomeDeny {
		return nil
	}
	c.p.denials.add(c.e, c.e.Action, "", c.cfg.DenyWindow)
	actions := c.scratch
	clear(actions)
	for _, k := range c.p.denials.keys {
		actions[k.key] = true
	}
	if c.p.denials.len() < c.cfg.DenyBurst || len(actions) < c.cfg.DenyActions || !c.p.fire(DetDenyProbing, c.e.Time, time.Hour) {
		return nil
	}
	return &hit{evidence: c.p.denials.evidence(),
		explanation: fmt.Sprintf("%s was denied %d times over %d different actions (%s) within %s",
			c.e.Principal, c.p.denials.len(), len(actions), joinKeys(actions, 6), c.cfg.DenyWindow)}
}

func checkDormant(c *check) *hit {
	if c.p.Events == 0 || c.e.Time.Sub(c.p.LastSeen) < c.cfg.DormantAfter {
		return nil
	}
	return &hit{explanation: fmt.Sprintf("%s was idle for %d days (last activity %s) and is active again (%s from %s)",
		c.e.Principal, int(c.e.Time.Sub(c.p.LastSeen).Hours()/24), c.p.LastSeen.Format(time.RFC3339), c.e.Action, orNone(c.e.SourceIP))}
}

func checkHumanUse(c *check) *hit {
	var how string
	switch {
	case c.e.Action == "signin:ConsoleLogin":
		how = "signed in to the console"
	case c.e.Interactive:
		how = "was used interactively (" + c.e.Action + ")"
	case c.f.agent == "browser" || c.f.agent == "aws-console":
		how = "was used from a browser (" + clipUA(c.e.UserAgent) + ")"
	default:
		return nil
	}
	if !c.p.fire(DetHumanUse, c.e.Time, 24*time.Hour) {
		return nil
	}
	return &hit{explanation: fmt.Sprintf("non-human identity %s %s from %s: a person is using a machine credential", c.e.Principal, how, orNone(c.e.SourceIP))}
}

func joinKeys[V any](m map[string]V, n int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > n {
		keys = append(keys[:n], fmt.Sprintf("and %d more", len(m)-n))
	}
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, ", ")
}

func clipUA(ua string) string {
	if len(ua) > 80 {
		return ua[:80] + "…"
	}
	return ua
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
