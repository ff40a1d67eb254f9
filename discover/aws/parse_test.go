package aws

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

func TestParseGAAD_Golden(t *testing.T) {
	batch, warnings, err := ParseGAAD(bytes.NewReader(readSample(t, "northwind-gaad.json")), "northwind-gaad.json")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "gaad", viewBatch(batch, warnings))
}

func TestParseCredentialReport_Golden(t *testing.T) {
	batch, warnings, err := ParseCredentialReport(bytes.NewReader(readSample(t, "credential-report.csv")), "credential-report.csv")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "credential-report", viewBatch(batch, warnings))
}

// parsedEvent is an event with the identity its actor would create.
type parsedEvent struct {
	Event    *warden.Event    `json:"event"`
	Identity *warden.Identity `json:"identity"`
	Creation *Creation        `json:"-"` // what a creation event made (not in the goldens)
}

func parseCloudTrail(t testing.TB, data []byte, ref string) ([]parsedEvent, error) {
	t.Helper()
	in, err := discover.Open(bytes.NewReader(data), ref, 0)
	if err != nil {
		return nil, err
	}
	p, err := NewCloudTrailParser(in, ref)
	if err != nil {
		return nil, err
	}
	var out []parsedEvent
	for {
		ok, err := p.Next()
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil
		}
		e := new(warden.Event)
		actor, err := p.Event(e)
		if err != nil {
			return out, err
		}
		out = append(out, parsedEvent{e, actor.Identity, p.Creation()})
	}
}

func TestParseCloudTrail_Golden(t *testing.T) {
	for _, name := range []string{"northwind-2026-02-28.json", "northwind-2026-03-01.jsonl", "northwind-2026-03-02.json.gz"} {
		t.Run(name, func(t *testing.T) {
			events, err := parseCloudTrail(t, readSample(t, "cloudtrail/"+name), name)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "cloudtrail-"+strings.SplitN(name, ".", 2)[0], viewEvents(events))
		})
	}
}

func TestParseCloudTrail_Normalises(t *testing.T) {
	events, err := parseCloudTrail(t, readSample(t, "cloudtrail/northwind-2026-02-28.json"), "trail.json")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]parsedEvent{}
	for _, e := range events {
		byID[e.Event.RawID[len(e.Event.RawID)-2:]] = e
	}
	for _, tc := range []struct {
		name, id                       string
		principal, action, resource    string
		outcome                        warden.Outcome
		interactive                    bool
		identityKind                   warden.IdentityKind
		provider                       warden.Provider
		session, credential, errorCode string
	}{
		{"IAMUserDataEvent", "01", "arn:aws:iam::402118867530:user/jenkins-deployer", "s3:PutObject", "arn:aws:s3:::nw-build-artifacts/shipment-api/1.42.0.tar.gz", warden.OutcomeAllow, false, warden.KindCloudUser, "aws", "", "AKIAV3NWFREIGHTJ4K1X", ""},
		{"ConsoleLoginIsInteractive", "02", "arn:aws:iam::402118867530:user/jenkins-deployer", "signin:ConsoleLogin", "", warden.OutcomeAllow, true, warden.KindCloudUser, "aws", "", "", ""},
		{"GitHubWebIdentity", "03", "repo:some-stranger/fork-of-anything:ref:refs/heads/main", "sts:AssumeRoleWithWebIdentity", "arn:aws:iam::402118867530:role/ci/github-deploy-any", warden.OutcomeAllow, false, warden.KindCIIdentity, "github", "", "", ""},
		{"AssumedRoleUsesIssuer", "04", "arn:aws:iam::402118867530:role/ci/github-deploy-any", "ecs:UpdateService", "", warden.OutcomeAllow, false, warden.KindCloudRole, "aws", "GitHubActions", "ASIAV3NWFREIGHTGH001", ""},
		{"AccessDeniedIsDeny", "07", "arn:aws:iam::402118867530:user/shadow-sync", "secretsmanager:GetSecretValue", "prod/billing/stripe", warden.OutcomeDeny, false, warden.KindCloudUser, "aws", "", "AKIAV3NWFREIGHTSH4D0", "AccessDenied"},
		{"ConsoleSessionIsInteractive", "08", "arn:aws:iam::402118867530:role/ops/manual-fix", "rds:ModifyDBInstance", "", warden.OutcomeAllow, true, warden.KindCloudRole, "aws", "alice@northwind.example", "ASIAV3NWFREIGHTMF003", ""},
		{"AWSServiceHasNoIdentity", "10", "ecs.amazonaws.com", "sts:AssumeRole", "arn:aws:iam::402118867530:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", warden.OutcomeAllow, false, "", "aws", "", "", ""},
		{"RootFailedLoginIsDeny", "11", "arn:aws:iam::402118867530:root", "signin:ConsoleLogin", "", warden.OutcomeDeny, true, "", "aws", "", "", "ConsoleLoginFailure"},
		{"FederatedUserUsesIssuer", "14", "arn:aws:iam::402118867530:user/legacy/legacy-backup", "dynamodb:DescribeTable", "", warden.OutcomeError, false, warden.KindCloudUser, "aws", "legacy-report", "ASIAV3NWFREIGHTFD007", "ThrottlingException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := byID[tc.id]
			if !ok {
				t.Fatalf("event %s not parsed", tc.id)
			}
			e := got.Event
			if e.Principal != tc.principal || e.Action != tc.action || e.Resource != tc.resource || e.Outcome != tc.outcome ||
				e.Interactive != tc.interactive || e.Provider != tc.provider || e.Session != tc.session || e.CredentialID != tc.credential || e.ErrorCode != tc.errorCode {
				t.Fatalf("event = %+v", e)
			}
			if tc.identityKind == "" {
				if got.Identity != nil {
					t.Fatalf("actor identity = %+v, want none", got.Identity)
				}
				return
			}
			if got.Identity == nil || got.Identity.Kind != tc.identityKind || got.Identity.ExternalID != e.Principal || got.Identity.Validate() != nil {
				t.Fatalf("actor identity = %+v", got.Identity)
			}
		})
	}
}

func TestParse_MalformedNamesFileAndRecord(t *testing.T) {
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		io.WriteString(w, s)
		w.Close()
		return b.String()
	}
	good := `{"eventID":"a","eventTime":"2026-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x"}}`
	for _, tc := range []struct {
		name, parser, input, want string
	}{
		{"CloudTrailBadJSON", "cloudtrail", `{"Records":[` + good + `,{"eventID": }]}`, "trail.json: record 2: malformed JSON"},
		{"CloudTrailWrongType", "cloudtrail", `{"Records":[` + good + `,{"eventID": 7}]}`, "trail.json: record 2: field eventID must be a string"},
		{"CloudTrailMissingFields", "cloudtrail", `{"Records":[` + good + `,` + good + `,{"eventID":"c"}]}`, "trail.json: record 3: a CloudTrail record needs"},
		{"CloudTrailBadTime", "cloudtrail", good + "\n" + `{"eventID":"b","eventTime":"yesterday"}`, "trail.json: record 2:"},
		{"CloudTrailTruncated", "cloudtrail", `{"Records":[` + good, "trail.json: record 2: the input ends"},
		{"CloudTrailNotJSON", "cloudtrail", `hello`, "trail.json: expected"},
		{"CloudTrailCorruptGzip", "cloudtrail", gz(`{"Records":[]}`)[:12] + "garbage-garbage", "trail.json:"},
		{"CloudTrailTrailingData", "cloudtrail", `{"Records":[` + good + `]} {}`, "trail.json: data after"},
		{"GAADEmpty", "gaad", ``, "trail.json: the input is empty"},
		{"GAADNotGAAD", "gaad", `{"foo": 1}`, "trail.json: no UserDetailList"},
		{"GAADBadEffect", "gaad", `{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::1:user/u","UserPolicyList":[{"PolicyName":"p","PolicyDocument":{"Statement":{"Effect":"Maybe","Action":"*","Resource":"*"}}}]}]}`, "UserDetailList[0] (u): inline:p: statement 1: Effect \"Maybe\""},
		{"GAADBadPrincipal", "gaad", `{"RoleDetailList":[{"RoleName":"r","Arn":"arn:aws:iam::1:role/r","AssumeRolePolicyDocument":{"Statement":[{"Effect":"Allow","Principal":5,"Action":"sts:AssumeRole"}]}}]}`, "RoleDetailList[0] (r): trust-policy: statement 1: Principal must be"},
		{"GAADBadDocument", "gaad", `{"UserDetailList":[{"UserName":"u","Arn":"a","UserPolicyList":[{"PolicyName":"p","PolicyDocument":"%zz"}]}]}`, "trail.json: record 1:"},
		{"ReportNoHeader", "report", "a,b,c\n1,2,3\n", `trail.json: record 1: the header has no column "user"`},
		{"ReportBadTime", "report", strings.Replace(string(readSample(t, "credential-report.csv")), "2024-01-15T08:05:00+00:00", "last tuesday", 1), `trail.json: record 5: user "report-bot": access_key_1_last_rotated: "last tuesday" is not an ISO 8601 time`},
		{"ReportBadBool", "report", strings.Replace(string(readSample(t, "credential-report.csv")), "ci-admin,arn:aws:iam::402118867530:user/automation/ci-admin,2022-04-11T09:30:12+00:00,false", "ci-admin,arn:aws:iam::402118867530:user/automation/ci-admin,2022-04-11T09:30:12+00:00,yes", 1), `record 3: user "ci-admin": password_enabled`},
		{"ReportRaggedRow", "report", strings.SplitAfter(string(readSample(t, "credential-report.csv")), "\n")[0] + "x,y,z\n", `trail.json: record 2: malformed CSV`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			switch tc.parser {
			case "cloudtrail":
				_, err = parseCloudTrail(t, []byte(tc.input), "trail.json")
			case "gaad":
				_, _, err = ParseGAAD(bufio.NewReader(strings.NewReader(tc.input)), "trail.json")
			case "report":
				_, _, err = ParseCredentialReport(strings.NewReader(tc.input), "trail.json")
			}
			if warden.ErrorCode(err) != warden.EINVALID {
				t.Fatalf("error = %v, want EINVALID", err)
			}
			if msg := warden.ErrorMessage(err); !strings.Contains(msg, tc.want) {
				t.Fatalf("message %q does not contain %q", msg, tc.want)
			}
		})
	}
}
