package monitor

import (
	"strings"

	"github.com/warden-nhi/warden"
)

// features are what the detectors and the baseline read from one event,
// computed once.
type features struct {
	ip, network string
	hasIP       bool
	agent       string // user-agent family
	workload    bool   // the session is a workload instance (EC2 instance, pod)
	secretRead  bool
	namespace   string // Kubernetes namespace of a secret read
}

func featuresOf(e *warden.Event) features {
	var f features
	f.ip, f.network, f.hasIP = Network(e.SourceIP)
	f.agent = UserAgentFamily(e.UserAgent)
	f.workload = isWorkloadSession(e)
	f.secretRead, f.namespace = secretRead(e)
	return f
}

// featureCache remembers the networks of addresses and the families of
// user agents recently seen, which repeat from event to event, so that
// they are parsed (and their strings allocated) once. Each table is
// forgotten when it reaches internLimit entries.
type featureCache struct {
	nets   map[string]netInfo
	agents map[string]string
}

type netInfo struct {
	ip, network string
	ok          bool
}

// internLimit bounds the interning and feature tables of an engine.
const internLimit = 1 << 14

func newFeatureCache() *featureCache {
	return &featureCache{nets: map[string]netInfo{}, agents: map[string]string{}}
}

// of computes the features of e, as featuresOf does.
func (fc *featureCache) of(e *warden.Event) features {
	var f features
	n, ok := fc.nets[e.SourceIP]
	if !ok {
		n.ip, n.network, n.ok = Network(e.SourceIP)
		if len(fc.nets) >= internLimit {
			clear(fc.nets)
		}
		fc.nets[e.SourceIP] = n
	}
	f.ip, f.network, f.hasIP = n.ip, n.network, n.ok
	agent, ok := fc.agents[e.UserAgent]
	if !ok {
		agent = UserAgentFamily(e.UserAgent)
		if len(fc.agents) >= internLimit {
			clear(fc.agents)
		}
		fc.agents[e.UserAgent] = agent
	}
	f.agent = agent
	f.workload = isWorkloadSession(e)
	f.secretRead, f.namespace = secretRead(e)
	return f
}

// isWorkloadSession reports whether the event's session names a workload
// instance whose credentials should only ever be used from it: an EC2
// instance-profile session (named after the instance id), a pod's
// service-account token, or a workload's warden-issued credential.
func isWorkloadSession(e *warden.Event) bool {
	if e.Session == "" {
		return false
	}
	if e.Source == SourceCloudTrail {
		return isInstanceID(e.Session)
	}
	return e.Source == SourceKubernetes || strings.HasPrefix(e.Source, "warden-")
}

// isInstanceID matches EC2 instance ids: "i-" and 8 or 17 hex digits.
func isInstanceID(s string) bool {
	if !strings.HasPrefix(s, "i-") || (len(s) != 10 && len(s) != 19) {
		return false
	}
	for _, c := range s[2:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// secretActions are reads of secret and parameter stores.
var secretActions = map[string]bool{
	"secretsmanager:GetSecretValue": true, "secretsmanager:BatchGetSecretValue": true,
	"ssm:GetParameter": true, "ssm:GetParameters": true, "ssm:GetParametersByPath": true,
}

// secretRead reports whether e read a secret, and the Kubernetes namespace
// of the secret when it is one ("get secrets" on
// /namespaces/NS/secrets/NAME; a cluster-wide list has namespace "*").
func secretRead(e *warden.Event) (bool, string) {
	if secretActions[e.Action] {
		return true, ""
	}
	verb, res, ok := strings.Cut(e.Action, " ")
	if !ok || res != "secrets" || (verb != "get" && verb != "list" && verb != "watch") {
		return false, ""
	}
	ns := "*"
	if rest, ok := strings.CutPrefix(strings.TrimPrefix(e.Resource, "/"), "namespaces/"); ok {
		ns, _, _ = strings.Cut(rest, "/")
	}
	return true, ns
}

// Event sources the monitor knows by name.
const (
	SourceCloudTrail = "cloudtrail"
	SourceKubernetes = "k8s-audit"
	SourceGitHub     = "github-audit"
)
