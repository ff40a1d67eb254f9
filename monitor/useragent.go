package monitor

import "strings"

// uaAliases maps the first product token of a user agent, lower-cased, to
// its family where the token alone is not the family's usual name.
var uaAliases = map[string]string{
	"boto3": "boto3", "botocore": "boto3", "aws-sdk-go": "aws-sdk-go", "aws-sdk-go-v2": "aws-sdk-go-v2",
	"aws-sdk-java": "aws-sdk-java", "aws-sdk-js": "aws-sdk-js", "aws-sdk-nodejs": "aws-sdk-js", "aws-cli": "aws-cli",
	"aws-internal": "aws-internal", "console.amazonaws.com": "aws-console", "signin.amazonaws.com": "aws-console",
	"mozilla": "browser", "opera": "browser", "terraform": "terraform", "hashicorp": "terraform",
	"kubectl": "kubectl", "helm": "helm", "curl": "curl", "python-requests": "python-requests",
	"go-http-client": "go-http-client", "octokit": "octokit", "github-actions": "github-actions",
}

// UserAgentFamily normalises a user agent to its family so that version
// upgrades (a deployment) do not look like a new client: "aws-sdk-go/1.44.1
// (go1.22; linux)" and "aws-sdk-go/1.51.0" are both "aws-sdk-go",
// "Mozilla/5.0 ..." is "browser", "[Boto3/1.34.1 ...]" is "boto3". An
// empty agent is "".
func UserAgentFamily(ua string) string {
	ua = strings.TrimLeft(ua, "[ ")
	if ua == "" {
		return ""
	}
	end := strings.IndexAny(ua, "/ ;()[]")
	if end < 0 {
		end = len(ua)
	}
	token := strings.ToLower(ua[:end])
	if f, ok := uaAliases[token]; ok {
		return f
	}
	if strings.HasSuffix(token, ".amazonaws.com") {
		return "aws-service"
	}
	// Kubernetes components and controllers name themselves, e.g.
	// "kube-controller-manager/v1.29.2 (linux/amd64) kubernetes/4b8e819/...".
	if len(token) > 64 {
		token = token[:64]
	}
	return token
}
