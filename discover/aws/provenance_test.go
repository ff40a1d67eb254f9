package aws

import (
	"os"
	"testing"
)

// TestCloudTrailCreation_NamesThePersonAndWhatWasCreated: the project's
// creation sample (owners/testdata), record by record.
func TestCloudTrailCreation_NamesThePersonAndWhatWasCreated(t *testing.T) {
	data, err := os.ReadFile("../../owners/testdata/cloudtrail-northwind-2026-03-03.json")
	if err != nil {
		t.Fatal(err)
	}
	events, err := parseCloudTrail(t, data, "creations.json")
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		event, creator, creatorRef, identity, key string
		creates                                   bool
	}
	const alice = "arn:aws:sts::402118867530:assumed-role/AWSReservedSSO_AdministratorAccess_5f2c1e9a8b7d6c4e/alice@northwind.example"
	wants := map[string]*want{
		"7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e01": {"CreateUser", "alice@northwind.example", alice, "arn:aws:iam::402118867530:user/svc/ledger-export", "", true},
		// Only the user name is in the event: the path comes from the CreateUser before it.
		"7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e02": {"CreateAccessKey", "alice@northwind.example", alice, "arn:aws:iam::402118867530:user/svc/ledger-export", "AKIAV3NWLEDGEREXP001", false},
		"7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e03": nil, // CreateLoginProfile: a password for a person
		"7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e04": nil, // CreateUser refused with AccessDenied
		"7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e05": {"CreateRole", "bob@northwind.example", "arn:aws:sts::402118867530:assumed-role/AWSReservedSSO_PowerUserAccess_9a8b7c6d5e4f3a2b/bob@northwind.example", "arn:aws:iam::402118867530:role/etl-runner", "", true},
		"7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e06": nil, // S3 PutObject
		"7d1e2f30-4a5b-4c6d-8e9f-0a1b2c3d4e07": nil, // Glue StartJobRun
	}
	if len(events) != len(wants) {
		t.Fatalf("%d events, want %d", len(events), len(wants))
	}
	for _, e := range events {
		w, c := wants[e.Event.RawID], e.Creation
		t.Run(e.Event.RawID, func(t *testing.T) {
			if w == nil {
				if c != nil {
					t.Fatalf("%s made a creation: %+v", e.Event.Action, c.Provenance)
				}
				return
			}
			if c == nil {
				t.Fatalf("%s made no creation", w.event)
			}
			checkCreation(t, e.Event, c)
			p := c.Provenance
			if p.Event != w.event || p.Creator != w.creator || p.CreatorRef != w.creatorRef || p.IdentityExternalID != w.identity || p.CredentialExternalID != w.key {
				t.Fatalf("provenance = %+v, want %+v", p, w)
			}
			if (c.Identity != nil) != w.creates || (c.Credential != nil) != (w.key != "") {
				t.Fatalf("created identity %+v, key %+v", c.Identity, c.Credential)
			}
			if c.Identity != nil && (c.Identity.Managed || c.Identity.Labels["discovered-by"] != SourceCloudTrail || c.Identity.Labels["aws-account"] != "402118867530") {
				t.Fatalf("created identity = %+v", c.Identity)
			}
		})
	}
}

// TestCloudTrailCreation_KeyForItselfAndBuiltARNs: an IAM user creating a
// key for itself, and creations whose responseElements are missing.
func TestCloudTrailCreation_KeyForItselfAndBuiltARNs(t *testing.T) {
	tests := map[string]struct {
		record, creator, identity, key string
	}{
		"own key": {`{"eventTime":"2026-03-03T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","eventID":"e1","recipientAccountId":"402118867530",
			"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::402118867530:user/ci/deployer","accountId":"402118867530","userName":"deployer"},
			"requestParameters":{},"responseElements":{"accessKey":{"accessKeyId":"AKIAV3NWDEPLOYER0002","status":"Active"}}}`,
			"deployer", "arn:aws:iam::402118867530:user/ci/deployer", "AKIAV3NWDEPLOYER0002"},
		"user without response": {`{"eventTime":"2026-03-03T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"e2","recipientAccountId":"402118867530",
			"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::402118867530:user/ops","accountId":"402118867530","userName":"ops"},
			"requestParameters":{"userName":"batch"},"responseElements":null}`,
			"ops", "arn:aws:iam::402118867530:user/batch", ""},
		"role with odd response": {`{"eventTime":"2026-03-03T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateRole","eventID":"e3","recipientAccountId":"402118867530",
			"userIdentity":{"type":"Root","arn":"arn:aws:iam::402118867530:root","accountId":"402118867530"},
			"requestParameters":{"roleName":"lambda-exec"},"responseElements":{"role":"n/a"}}`,
			"root", "arn:aws:iam::402118867530:role/lambda-exec", ""},
		"service": {`{"eventTime":"2026-03-03T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateRole","eventID":"e4","recipientAccountId":"402118867530",
			"userIdentity":{"type":"AWSService","invokedBy":"cloudformation.amazonaws.com"},
			"requestParameters":{"roleName":"stack-role"},"responseElements":{"role":{"arn":"arn:aws:iam::402118867530:role/stack-role"}}}`,
			"", "", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			events, err := parseCloudTrail(t, []byte(tt.record), "one.json")
			if err != nil || len(events) != 1 {
				t.Fatalf("parse = %d events, %v", len(events), err)
			}
			c := events[0].Creation
			if tt.creator == "" {
				if c != nil {
					t.Fatalf("creation = %+v, want none", c.Provenance)
				}
				return
			}
			if c == nil {
				t.Fatal("no creation")
			}
			checkCreation(t, events[0].Event, c)
			if got := c.Provenance; got.Creator != tt.creator || got.IdentityExternalID != tt.identity || got.CredentialExternalID != tt.key {
				t.Fatalf("provenance = %+v", got)
			}
		})
	}
}
