package rightsize

import (
	"strings"

	"github.com/warden-nhi/warden"
)

// IAMActions returns the IAM actions that the CloudTrail call named by
// action ("<service>:<eventName>", as warden's CloudTrail importer writes
// Event.Action) needs. It returns nil for calls that need no permission
// (sts:GetCallerIdentity) and for text that is not "<service>:<name>".
//
// The IAM action is usually the event's service prefix and event name.
// The exceptions below are where AWS names the permission differently
// from the API operation; each is documented in the AWS Service
// Authorization Reference ("Actions, resources, and condition keys for
// <service>", https://docs.aws.amazon.com/service-authorization/latest/reference/)
// and in the service's API reference ("Permissions" section of each
// operation).
func IAMActions(action string) []string {
	svc, name, ok := strings.Cut(action, ":")
	if !ok || svc == "" || name == "" {
		return nil
	}
	if alias, ok := servicePrefixes[svc]; ok {
		svc = alias
	}
	if svc == "lambda" {
		name = stripLambdaVersion(name)
	}
	if actions, ok := exceptions[svc+":"+name]; ok {
		if len(actions) == 0 {
			return nil
		}
		return append([]string(nil), actions...)
	}
	return []string{svc + ":" + name}
}

// servicePrefixes maps the first label of an eventSource to the IAM
// service prefix where they differ (Service Authorization Reference,
// "service prefix" of each service).
var servicePrefixes = map[string]string{
	"monitoring": "cloudwatch", // monitoring.amazonaws.com: Amazon CloudWatch
	"email":      "ses",        // email.amazonaws.com: Amazon SES
	"tagging":    "tag",        // tagging.amazonaws.com: Resource Groups Tagging API
}

// exceptions maps "<service>:<eventName>" to the IAM actions the call
// needs when they are not "<service>:<eventName>". An empty list means
// the call needs no IAM permission.
var exceptions = map[string][]string{
	// Amazon S3 — "Required permissions for Amazon S3 API operations"
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
	"s3:ListBuckets":                              {"s3:ListAllMyBuckets"},
	"s3:ListObjects":                              {"s3:ListBucket"},
	"s3:ListObjectsV2":                            {"s3:ListBucket"},
	"s3:HeadBucket":                               {"s3:ListBucket"},
	"s3:HeadObject":                               {"s3:GetObject"},
	"s3:SelectObjectContent":                      {"s3:GetObject"},
	"s3:ListObjectVersions":                       {"s3:ListBucketVersions"},
	"s3:ListMultipartUploads":                     {"s3:ListBucketMultipartUploads"},
	"s3:ListParts":                                {"s3:ListMultipartUploadParts"},
	"s3:CreateMultipartUpload":                    {"s3:PutObject"},
	"s3:UploadPart":                               {"s3:PutObject"},
	"s3:UploadPartCopy":                           {"s3:PutObject"},
	"s3:CompleteMultipartUpload":                  {"s3:PutObject"},
	"s3:CopyObject":                               {"s3:PutObject"}, // and s3:GetObject on the source, which CloudTrail names only in requestParameters
	"s3:DeleteObjects":                            {"s3:DeleteObject"},
	"s3:GetBucketEncryption":                      {"s3:GetEncryptionConfiguration"},
	"s3:PutBucketEncryption":                      {"s3:PutEncryptionConfiguration"},
	"s3:DeleteBucketEncryption":                   {"s3:PutEncryptionConfiguration"},
	"s3:GetBucketLifecycle":                       {"s3:GetLifecycleConfiguration"},
	"s3:GetBucketLifecycleConfiguration":          {"s3:GetLifecycleConfiguration"},
	"s3:PutBucketLifecycle":                       {"s3:PutLifecycleConfiguration"},
	"s3:PutBucketLifecycleConfiguration":          {"s3:PutLifecycleConfiguration"},
	"s3:DeleteBucketLifecycle":                    {"s3:PutLifecycleConfiguration"},
	"s3:GetBucketReplication":                     {"s3:GetReplicationConfiguration"},
	"s3:PutBucketReplication":                     {"s3:PutReplicationConfiguration"},
	"s3:DeleteBucketReplication":                  {"s3:PutReplicationConfiguration"},
	"s3:GetBucketCors":                            {"s3:GetBucketCORS"},
	"s3:PutBucketCors":                            {"s3:PutBucketCORS"},
	"s3:DeleteBucketCors":                         {"s3:PutBucketCORS"},
	"s3:GetBucketNotificationConfiguration":       {"s3:GetBucketNotification"},
	"s3:PutBucketNotificationConfiguration":       {"s3:PutBucketNotification"},
	"s3:GetPublicAccessBlock":                     {"s3:GetBucketPublicAccessBlock"},
	"s3:PutPublicAccessBlock":                     {"s3:PutBucketPublicAccessBlock"},
	"s3:DeletePublicAccessBlock":                  {"s3:PutBucketPublicAccessBlock"},
	"s3:DeleteBucketPublicAccessBlock":            {"s3:PutBucketPublicAccessBlock"},
	"s3:DeleteBucketTagging":                      {"s3:PutBucketTagging"},
	"s3:DeleteBucketOwnershipControls":            {"s3:PutBucketOwnershipControls"},
	"s3:GetObjectLockConfiguration":               {"s3:GetBucketObjectLockConfiguration"},
	"s3:PutObjectLockConfiguration":               {"s3:PutBucketObjectLockConfiguration"},
	"s3:GetBucketIntelligentTieringConfiguration": {"s3:GetIntelligentTieringConfiguration"},
	"s3:PutBucketIntelligentTieringConfiguration": {"s3:PutIntelligentTieringConfiguration"},

	// AWS Lambda — the data event Invoke needs lambda:InvokeFunction, as
	// does InvokeWithResponseStream ("Actions, resources, and condition
	// keys for AWS Lambda"). Versioned event names such as
	// GetFunction20150331v2 are stripped first (stripLambdaVersion).
	"lambda:Invoke":                   {"lambda:InvokeFunction"},
	"lambda:InvokeWithResponseStream": {"lambda:InvokeFunction"},

	// AWS KMS — ReEncrypt needs kms:ReEncryptFrom on the source key and
	// kms:ReEncryptTo on the destination ("ReEncrypt", AWS KMS API
	// Reference, "Required permissions").
	"kms:ReEncrypt": {"kms:ReEncryptFrom", "kms:ReEncryptTo"},

	// AWS STS — GetCallerIdentity needs no permission ("No permissions are
	// required to perform this operation", STS API Reference). The web
	// identity and SAML calls are not signed with AWS credentials: the
	// role's trust policy decides them, not a permission of the caller.
	"sts:GetCallerIdentity":         {},
	"sts:AssumeRoleWithWebIdentity": {},
	"sts:AssumeRoleWithSAML":        {},

	// AWS sign-in — a console sign-in is allowed by a login profile or
	// federation, not by an IAM action of the identity.
	"signin:ConsoleLogin": {},
	"signin:CheckMfa":     {},
}

// stripLambdaVersion removes the API version CloudTrail appends to most
// Lambda management event names ("GetFunction20150331v2",
// "ListFunctions20150331", "TagResource20170331"): "Lambda information in
// CloudTrail", AWS Lambda Developer Guide.
func stripLambdaVersion(name string) string {
	base := name
	if i := strings.LastIndex(base, "v"); i > 0 && i < len(base)-1 && allDigits(base[i+1:]) {
		base = base[:i]
	}
	if len(base) > 8 && allDigits(base[len(base)-8:]) && strings.HasPrefix(base[len(base)-8:], "20") {
		return base[:len(base)-8]
	}
	return name
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// s3ObjectAction reports whether an s3 IAM action applies to objects
// (arn:aws:s3:::bucket/key) rather than to the bucket.
func s3ObjectAction(action string) bool {
	name := strings.TrimPrefix(action, "s3:")
	switch name {
	case "AbortMultipartUpload", "ListMultipartUploadParts", "RestoreObject":
		return true
	}
	return strings.Contains(name, "Object") && !strings.Contains(name, "Bucket")
}

// policyResources turns the resource of event e into the resources an
// IAM statement for action should name, or nil when the event names none
// that a policy can use (then the statement needs "*"):
//   - S3 objects become "arn:aws:s3:::bucket/*" (a workload writes new
//     keys all the time), bucket actions name the bucket;
//   - DynamoDB Query and Scan also name the table's indexes
//     ("table/orders/index/*"), which CloudTrail does not list but the
//     calls may read ("Actions, resources, and condition keys for Amazon
//     DynamoDB": the index resource type);
//   - an SSM parameter named by its path becomes its ARN, and a Secrets
//     Manager secret named by its name becomes "secret:<name>-??????", the
//     pattern AWS recommends for the random suffix of secret ARNs;
//   - other ARNs are kept as they are.
func policyResources(action string, e *warden.Event) []string {
	resource := e.Resource
	svc, name, _ := strings.Cut(action, ":")
	if !strings.HasPrefix(resource, "arn:") {
		account := accountOf(e.Principal)
		if resource == "" || account == "" || e.Region == "" || strings.ContainsAny(resource, "*?") {
			return nil
		}
		switch {
		case svc == "ssm" && strings.Contains(name, "Parameter"):
			return []string{"arn:aws:ssm:" + e.Region + ":" + account + ":parameter/" + strings.TrimPrefix(resource, "/")}
		case svc == "secretsmanager":
			return []string{"arn:aws:secretsmanager:" + e.Region + ":" + account + ":secret:" + resource + "-??????"}
		}
		return nil
	}
	switch svc {
	case "s3":
		rest, ok := strings.CutPrefix(resource, "arn:aws:s3:::")
		if !ok || rest == "" {
			return []string{resource}
		}
		bucket, _, _ := strings.Cut(rest, "/")
		if s3ObjectAction(action) {
			return []string{"arn:aws:s3:::" + bucket + "/*"}
		}
		return []string{"arn:aws:s3:::" + bucket}
	case "dynamodb":
		if (name == "Query" || name == "Scan") && strings.Contains(resource, ":table/") && !strings.Contains(resource, "/index/") {
			return []string{resource, resource + "/index/*"}
		}
	}
	return []string{resource}
}

// accountOf returns the account id of an ARN, "" if it has none.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || len(parts[4]) != 12 || !allDigits(parts[4]) {
		return ""
	}
	return parts[4]
}
