package rightsize

import (
	"slices"
	"testing"

	"github.com/warden-nhi/warden"
)

func TestIAMActions(t *testing.T) {
	for _, tc := range []struct {
		call string
		want []string
	}{
		// The rule: service prefix and event name.
		{"s3:GetObject", []string{"s3:GetObject"}},
		{"dynamodb:BatchWriteItem", []string{"dynamodb:BatchWriteItem"}},
		{"s3:GetBucketLocation", []string{"s3:GetBucketLocation"}},
		{"ec2:DescribeInstances", []string{"ec2:DescribeInstances"}},
		// S3 operations whose permission is named differently.
		{"s3:ListObjects", []string{"s3:ListBucket"}},
		{"s3:ListObjectsV2", []string{"s3:ListBucket"}},
		{"s3:HeadObject", []string{"s3:GetObject"}},
		{"s3:HeadBucket", []string{"s3:ListBucket"}},
		{"s3:ListBuckets", []string{"s3:ListAllMyBuckets"}},
		{"s3:ListObjectVersions", []string{"s3:ListBucketVersions"}},
		{"s3:CreateMultipartUpload", []string{"s3:PutObject"}},
		{"s3:UploadPart", []string{"s3:PutObject"}},
		{"s3:CompleteMultipartUpload", []string{"s3:PutObject"}},
		{"s3:DeleteObjects", []string{"s3:DeleteObject"}},
		{"s3:GetBucketEncryption", []string{"s3:GetEncryptionConfiguration"}},
		{"s3:DeleteBucketLifecycle", []string{"s3:PutLifecycleConfiguration"}},
		{"s3:GetBucketCors", []string{"s3:GetBucketCORS"}},
		// Lambda: the data event and versioned management names.
		{"lambda:Invoke", []string{"lambda:InvokeFunction"}},
		{"lambda:InvokeWithResponseStream", []string{"lambda:InvokeFunction"}},
		{"lambda:GetFunction20150331v2", []string{"lambda:GetFunction"}},
		{"lambda:UpdateFunctionCode20150331v2", []string{"lambda:UpdateFunctionCode"}},
		{"lambda:ListFunctions20150331", []string{"lambda:ListFunctions"}},
		{"lambda:TagResource20170331", []string{"lambda:TagResource"}},
		{"lambda:GetLayerVersion20181031", []string{"lambda:GetLayerVersion"}},
		{"lambda:InvokeAsync", []string{"lambda:InvokeAsync"}},
		// KMS and STS specifics.
		{"kms:Decrypt", []string{"kms:Decrypt"}},
		{"kms:ReEncrypt", []string{"kms:ReEncryptFrom", "kms:ReEncryptTo"}},
		{"sts:AssumeRole", []string{"sts:AssumeRole"}},
		{"sts:GetCallerIdentity", nil},
		{"sts:AssumeRoleWithWebIdentity", nil},
		{"signin:ConsoleLogin", nil},
		// eventSource prefixes that are not the IAM prefix.
		{"monitoring:PutMetricData", []string{"cloudwatch:PutMetricData"}},
		{"email:SendRawEmail", []string{"ses:SendRawEmail"}},
		{"tagging:GetResources", []string{"tag:GetResources"}},
		// Not a CloudTrail action.
		{"GetObject", nil},
		{":GetObject", nil},
		{"s3:", nil},
	} {
		if got := IAMActions(tc.call); !slices.Equal(got, tc.want) {
			t.Errorf("IAMActions(%q) = %v, want %v", tc.call, got, tc.want)
		}
	}
}

func TestIAMActions_ReturnsACopy(t *testing.T) {
	got := IAMActions("kms:ReEncrypt")
	got[0] = "changed"
	if again := IAMActions("kms:ReEncrypt"); again[0] != "kms:ReEncryptFrom" {
		t.Fatalf("the exception table was modified through a result: %v", again)
	}
}

func TestPolicyResources(t *testing.T) {
	role := "arn:aws:iam::318274650912:role/workload/orders-worker"
	for _, tc := range []struct {
		name, action, resource string
		want                   []string
	}{
		{"S3ObjectToBucketWildcard", "s3:GetObject", "arn:aws:s3:::intake/a/b.json", []string{"arn:aws:s3:::intake/*"}},
		{"S3MultipartToBucketWildcard", "s3:AbortMultipartUpload", "arn:aws:s3:::intake/a", []string{"arn:aws:s3:::intake/*"}},
		{"S3BucketAction", "s3:ListBucket", "arn:aws:s3:::intake", []string{"arn:aws:s3:::intake"}},
		{"S3BucketActionOnObjectEvent", "s3:ListBucketVersions", "arn:aws:s3:::intake/x", []string{"arn:aws:s3:::intake"}},
		{"S3BucketObjectLockIsBucket", "s3:PutBucketObjectLockConfiguration", "arn:aws:s3:::intake", []string{"arn:aws:s3:::intake"}},
		{"DeleteObjectsOnBucket", "s3:DeleteObject", "arn:aws:s3:::intake", []string{"arn:aws:s3:::intake/*"}},
		{"DynamoDBQueryAddsIndexes", "dynamodb:Query", "arn:aws:dynamodb:eu-central-1:318274650912:table/orders",
			[]string{"arn:aws:dynamodb:eu-central-1:318274650912:table/orders", "arn:aws:dynamodb:eu-central-1:318274650912:table/orders/index/*"}},
		{"DynamoDBGetItemTableOnly", "dynamodb:GetItem", "arn:aws:dynamodb:eu-central-1:318274650912:table/orders",
			[]string{"arn:aws:dynamodb:eu-central-1:318274650912:table/orders"}},
		{"OtherARNKept", "kms:Decrypt", "arn:aws:kms:eu-central-1:318274650912:key/k1", []string{"arn:aws:kms:eu-central-1:318274650912:key/k1"}},
		{"SSMParameterPath", "ssm:GetParameter", "/orders/db", []string{"arn:aws:ssm:eu-central-1:318274650912:parameter/orders/db"}},
		{"SecretName", "secretsmanager:GetSecretValue", "prod/orders/db", []string{"arn:aws:secretsmanager:eu-central-1:318274650912:secret:prod/orders/db-??????"}},
		{"NoResource", "ec2:DescribeInstances", "", nil},
		{"NameOfAnotherService", "lambda:InvokeFunction", "orders-fn", nil},
		{"UserNameIsNotAnARN", "iam:CreateAccessKey", "user/report-bot", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &warden.Event{Principal: role, Region: "eu-central-1", Resource: tc.resource}
			if got := policyResources(tc.action, e); !slices.Equal(got, tc.want) {
				t.Errorf("policyResources(%s, %q) = %v, want %v", tc.action, tc.resource, got, tc.want)
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		fold, want bool
	}{
		{"*", "s3:GetObject", true, true},
		{"s3:*", "s3:GetObject", true, true},
		{"s3:*", "s3x:GetObject", true, false},
		{"iam:Get*", "iam:GetRole", true, true},
		{"iam:Get*", "iam:ListRoles", true, false},
		{"s3:getobject", "s3:GetObject", true, true},
		{"s3:getobject", "s3:GetObject", false, false},
		{"s3:Get?bject", "s3:GetObject", true, true},
		{"s3:*Object*", "s3:PutObjectAcl", true, true},
		{"arn:aws:s3:::intake/*", "arn:aws:s3:::intake/a/b", false, true},
		{"arn:aws:s3:::intake/*", "arn:aws:s3:::intake", false, false},
		{"arn:aws:s3:::intake*", "arn:aws:s3:::intake-2", false, true},
		{"a*b*c", "axxbyyc", false, true},
		{"a*b*c", "axxbyy", false, false},
		{"", "", false, true},
		{"", "x", false, false},
	} {
		if got := globMatch(tc.pattern, tc.s, tc.fold); got != tc.want {
			t.Errorf("globMatch(%q, %q, %v) = %v, want %v", tc.pattern, tc.s, tc.fold, got, tc.want)
		}
	}
}
