package aws

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"time"

	"github.com/warden-nhi/warden"
	"github.com/warden-nhi/warden/discover"
)

// ctRecord is the part of a CloudTrail record warden uses. Everything else
// (requestParameters beyond a few names, responseElements, ...) is skipped
// by the decoder without being stored.
type ctRecord struct {
	EventVersion string    `json:"eventVersion"`
	EventTime    time.Time `json:"eventTime"`
	EventSource  string    `json:"eventSource"`
	EventName    string    `json:"eventName"`
	EventType    string    `json:"eventType"`
	EventID      string    `json:"eventID"`
	AWSRegion    string    `json:"awsRegion"`
	SourceIP     string    `json:"sourceIPAddress"`
	UserAgent    string    `json:"userAgent"`
	ErrorCode    string    `json:"errorCode"`
	Recipient    string    `json:"recipientAccountId"`
	// SessionCredentialFromConsole is "true" for calls made from the AWS
	// console with session credentials.
	SessionCredentialFromConsole string `json:"sessionCredentialFromConsole"`
	UserIdentity                 struct {
		Type             string `json:"type"`
		PrincipalID      string `json:"principalId"`
		Arn              string `json:"arn"`
		AccountID        string `json:"accountId"`
		AccessKeyID      string `json:"accessKeyId"`
		UserName         string `json:"userName"`
		InvokedBy        string `json:"invokedBy"`
		IdentityProvider string `json:"identityProvider"`
		SessionContext   struct {
			SessionIssuer struct {
				Type     string `json:"type"`
				Arn      string `json:"arn"`
				UserName string `json:"userName"`
			} `json:"sessionIssuer"`
			WebIDFederationData struct {
				FederatedProvider string `json:"federatedProvider"`
			} `json:"webIdFederationData"`
		} `json:"sessionContext"`
	} `json:"userIdentity"`
	RequestParameters struct {
		RoleArn    string `json:"roleArn"`
		BucketName string `json:"bucketName"`
		Key        string `json:"key"`
		SecretID   string `json:"secretId"`
		Name       string `json:"name"`
		UserName   string `json:"userName"`
		RoleName   string `json:"roleName"`
	} `json:"requestParameters"`
	ResponseElements struct {
		ConsoleLogin string `json:"ConsoleLogin"`
		// What a creation event made (see provenance.go).
		User      struct{ Arn, UserName string }         `json:"user"`
		Role      struct{ Arn, RoleName string }         `json:"role"`
		AccessKey struct{ AccessKeyID, UserName string } `json:"accessKey"`
	} `json:"responseElements"`
	Resources []struct {
		ARN string `json:"ARN"`
	} `json:"resources"`
}

// Actor is the identity behind a CloudTrail record, as warden names it.
type Actor struct {
	Principal string
	Session   string
	Identity  *warden.Identity // nil when the actor is not an NHI warden tracks (root, AWS services)
	// AccessKey is the long-term access key (AKIA...) an IAM user signed
	// the call with, as a credential of that user, or nil. Temporary
	// session keys (ASIA...) are not recorded.
	AccessKey *warden.ImportedCredential
}

// CloudTrailParser streams CloudTrail records from an S3-delivered log
// file ({"Records":[...]}) or JSON Lines (one record per line), holding
// one record in memory at a time.
type CloudTrailParser struct {
	ref    string
	in     *bufio.Reader
	values *discover.ValueReader
	done   bool
	n      int
	rec    ctRecord
	paths  userPaths
}

// recordsPrefix is how an S3-delivered CloudTrail file starts.
var recordsPrefix = []byte(`"Records"`)

// NewCloudTrailParser prepares to read r (plain; see discover.Open for
// gzip). ref names the input in errors and in the events' SourceRef.
func NewCloudTrailParser(r *bufio.Reader, ref string) (*CloudTrailParser, error) {
	p := &CloudTrailParser{ref: ref, in: r, values: discover.NewValueReader(r)}
	first, err := discover.FirstByte(r)
	if err != nil {
		return nil, discover.DecodeError(ref, 0, 0, err)
	}
	if first == 0 {
		p.done = true
		return p, nil
	}
	if first != '{' {
		return nil, discover.Malformed(ref, 0, `expected {"Records":[...]} or JSON Lines of CloudTrail records, found %q`, first)
	}
	head, _ := r.Peek(4096)
	rest := bytes.TrimLeft(head[1:], " \t\r\n")
	if bytes.HasPrefix(rest, recordsPrefix) {
		// Consume `{"Records"` and then `:` and `[`.
		r.Discard(len(head) - len(rest) + len(recordsPrefix))
		for _, want := range []byte{':', '['} {
			b, err := discover.FirstByte(r)
			if err != nil || b != want {
				return nil, discover.Malformed(ref, 0, `expected {"Records":[...]}`)
			}
			r.ReadByte()
		}
		p.values.InArray = true
	}
	return p, nil
}

// Next decodes the next record into the parser's buffer and reports
// whether there was one.
func (p *CloudTrailParser) Next() (bool, error) {
	if p.done {
		return false, nil
	}
	wrapped := p.values.InArray
	data, err := p.values.Next()
	if err == io.EOF {
		p.done = true
		if wrapped {
			return false, p.closeWrapper()
		}
		return false, nil
	}
	p.n++
	if err != nil {
		return false, discover.DecodeError(p.ref, p.n, 0, err)
	}
	p.rec = ctRecord{Resources: p.rec.Resources[:0]}
	if err := decodeRecord(data, &p.rec); err != nil {
		return false, discover.DecodeError(p.ref, p.n, 0, err)
	}
	return true, nil
}

// closeWrapper checks that only `}` follows the Records array.
func (p *CloudTrailParser) closeWrapper() error {
	b, err := discover.FirstByte(p.in)
	if err != nil {
		return discover.DecodeError(p.ref, 0, 0, err)
	}
	if b != '}' {
		return discover.Malformed(p.ref, 0, "expected } after the Records array")
	}
	p.in.ReadByte()
	if b, err := discover.FirstByte(p.in); err != nil || b != 0 {
		return discover.Malformed(p.ref, 0, "data after the end of the Records object")
	}
	return nil
}

// Records returns how many records were read.
func (p *CloudTrailParser) Records() int { return p.n }

// Event normalises the current record into e and returns its actor. e is
// overwritten completely.
func (p *CloudTrailParser) Event(e *warden.Event) (Actor, error) {
	r := &p.rec
	if r.EventID == "" || r.EventTime.IsZero() || r.EventName == "" || r.EventSource == "" {
		return Actor{}, discover.Malformed(p.ref, p.n, "a CloudTrail record needs eventID, eventTime, eventSource and eventName")
	}
	actor := actorOf(r)
	if actor.Identity != nil && actor.Identity.Validate() != nil {
		actor.Identity = nil // not a usable identity (an empty or oversized ARN): keep the event only
	}
	actor.AccessKey = accessKeyOf(r, actor.Identity)
	*e = warden.Event{
		Time: r.EventTime.UTC(), Source: SourceCloudTrail, RawID: r.EventID, SourceRef: p.ref,
		Provider: warden.ProviderAWS, Principal: actor.Principal, Session: actor.Session,
		CredentialID: r.UserIdentity.AccessKeyID,
		Action:       serviceOf(r.EventSource) + ":" + r.EventName,
		Resource:     resourceOf(r),
		SourceIP:     r.SourceIP, UserAgent: r.UserAgent, Region: r.AWSRegion,
		Outcome: outcomeOf(r), ErrorCode: r.ErrorCode,
		Interactive: r.EventType == "AwsConsoleSignIn" || r.SessionCredentialFromConsole == "true",
	}
	if actor.Identity != nil && actor.Identity.Provider != warden.ProviderAWS {
		e.Provider = actor.Identity.Provider
	}
	if e.Outcome != warden.OutcomeAllow && e.ErrorCode == "" && r.ResponseElements.ConsoleLogin == "Failure" {
		e.ErrorCode = "ConsoleLoginFailure"
	}
	clip(e)
	return actor, nil
}

// clip keeps every text field of an event within the store's limits.
func clip(e *warden.Event) {
	for _, s := range []*string{&e.RawID, &e.Principal, &e.CredentialID, &e.Session, &e.Action, &e.Resource, &e.SourceIP, &e.UserAgent, &e.Region, &e.ErrorCode} {
		if len(*s) > 1024 {
			*s = discover.CleanText(*s, 1024)
		}
	}
}

// serviceOf turns "s3.amazonaws.com" into "s3", the IAM action prefix.
func serviceOf(eventSource string) string {
	svc, _, _ := strings.Cut(eventSource, ".")
	return svc
}

func resourceOf(r *ctRecord) string {
	switch {
	case len(r.Resources) > 0 && r.Resources[0].ARN != "":
		return r.Resources[0].ARN
	case r.RequestParameters.RoleArn != "":
		return r.RequestParameters.RoleArn
	case r.RequestParameters.BucketName != "":
		if r.RequestParameters.Key != "" {
			return "arn:aws:s3:::" + r.RequestParameters.BucketName + "/" + r.RequestParameters.Key
		}
		return "arn:aws:s3:::" + r.RequestParameters.BucketName
	case r.RequestParameters.SecretID != "":
		return r.RequestParameters.SecretID
	case r.RequestParameters.UserName != "":
		return "user/" + r.RequestParameters.UserName
	case r.RequestParameters.Name != "":
		return r.RequestParameters.Name
	}
	return ""
}

// deniedCodes are CloudTrail error codes that mean access was refused.
var deniedCodes = map[string]bool{
	"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true,
	"Client.UnauthorizedOperation": true, "UnauthorizedAccess": true, "Forbidden": true,
	"AuthorizationError": true, "InvalidClientTokenId": true, "SignatureDoesNotMatch": true,
}

func outcomeOf(r *ctRecord) warden.Outcome {
	switch {
	case r.ResponseElements.ConsoleLogin == "Failure":
		return warden.OutcomeDeny
	case r.ErrorCode == "":
		return warden.OutcomeAllow
	case deniedCodes[r.ErrorCode]:
		return warden.OutcomeDeny
	}
	return warden.OutcomeError
}

// actorOf resolves who made the call from userIdentity.
func actorOf(r *ctRecord) Actor {
	u := &r.UserIdentity
	issuer := u.SessionContext.SessionIssuer
	label := func(id *warden.Identity) *warden.Identity {
		id.Labels = map[string]string{"discovered-by": SourceCloudTrail}
		if a := accountOf(id.ExternalID); a != "" {
			id.Labels["aws-account"] = a
		} else if u.AccountID != "" {
			id.Labels["aws-account"] = u.AccountID
		}
		return id
	}
	switch u.Type {
	case "IAMUser":
		name := u.UserName
		if name == "" {
			name = lastSegment(u.Arn)
		}
		return Actor{Principal: u.Arn, Identity: label(&warden.Identity{Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: u.Arn, Name: name})}
	case "AssumedRole":
		session := lastSegment(u.Arn)
		if issuer.Arn == "" {
			return Actor{Principal: u.Arn, Session: session}
		}
		return Actor{Principal: issuer.Arn, Session: session, Identity: label(&warden.Identity{
			Kind: warden.KindCloudRole, Provider: warden.ProviderAWS, ExternalID: issuer.Arn, Name: orDefault(issuer.UserName, lastSegment(issuer.Arn)),
		})}
	case "FederatedUser":
		if issuer.Arn != "" {
			return Actor{Principal: issuer.Arn, Session: lastSegment(u.Arn), Identity: label(&warden.Identity{
				Kind: warden.KindCloudUser, Provider: warden.ProviderAWS, ExternalID: issuer.Arn, Name: orDefault(issuer.UserName, lastSegment(issuer.Arn)),
			})}
		}
		return Actor{Principal: u.Arn}
	case "WebIdentityUser", "WebIdentity":
		return webIdentityActor(r)
	case "AWSService":
		return Actor{Principal: orDefault(u.InvokedBy, r.SourceIP)}
	case "Root":
		return Actor{Principal: orDefault(u.Arn, "arn:aws:iam::"+u.AccountID+":root")}
	}
	return Actor{Principal: orDefault(u.Arn, u.PrincipalID)}
}

// webIdentityActor names the external workload that called
// AssumeRoleWithWebIdentity: its OIDC subject at its provider. GitHub
// Actions subjects become GitHub CI identities.
func webIdentityActor(r *ctRecord) Actor {
	u := &r.UserIdentity
	provider := orDefault(u.IdentityProvider, u.SessionContext.WebIDFederationData.FederatedProvider)
	subject := u.UserName
	if subject == "" {
		subject = u.PrincipalID
	}
	if subject == "" {
		return Actor{Principal: provider}
	}
	labels := map[string]string{"discovered-by": SourceCloudTrail, "oidc-provider": discover.CleanText(provider, warden.MaxLabelValueLen)}
	id := &warden.Identity{Kind: warden.KindWorkload, Provider: "oidc",
		ExternalID: discover.CleanText(provider+"#"+subject, warden.MaxExternalIDLen), Name: discover.CleanText(subject, warden.MaxNameLen), Labels: labels}
	if strings.Contains(provider, "token.actions.githubusercontent.com") {
		id.Kind, id.Provider, id.ExternalID = warden.KindCIIdentity, warden.ProviderGitHub, discover.CleanText(subject, warden.MaxExternalIDLen)
	}
	return Actor{Principal: id.ExternalID, Identity: id}
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// accessKeyOf returns the long-term access key an IAM user called with,
// so that keys the credential report lists without ids (and keys of users
// never exported) are recorded under their real id, which secret-scanning
// correlation and stale-key rules match on.
func accessKeyOf(r *ctRecord, user *warden.Identity) *warden.ImportedCredential {
	key := r.UserIdentity.AccessKeyID
	if user == nil || r.UserIdentity.Type != "IAMUser" || !isLongTermKey(key) {
		return nil
	}
	return &warden.ImportedCredential{
		Identity: warden.IdentityRef{Provider: user.Provider, ExternalID: user.ExternalID},
		Credential: warden.Credential{Type: warden.CredentialAccessKey, PublicID: key, Status: warden.CredentialActive,
			Description: "access key seen in CloudTrail"},
	}
}

// isLongTermKey reports whether id looks like an IAM user's access key id:
// AKIA and 16 more upper-case letters or digits.
func isLongTermKey(id string) bool {
	if len(id) != 20 || !strings.HasPrefix(id, "AKIA") {
		return false
	}
	for i := 4; i < len(id); i++ {
		if c := id[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
