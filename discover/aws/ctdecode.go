package aws

import (
	"fmt"
	"time"

	"github.com/warden-nhi/warden/discover"
)

// decodeRecord fills r from one CloudTrail record's JSON, decoding only the
// members warden uses and skipping the rest (see discover.Members). Member
// names match exactly, as CloudTrail writes them.
func decodeRecord(data []byte, r *ctRecord) error {
	return discover.Members(data, func(key string, v []byte) error {
		switch key {
		case "eventVersion":
			return str(key, v, &r.EventVersion)
		case "eventTime":
			var s string
			if err := str(key, v, &s); err != nil {
				return err
			}
			if s == "" {
				return nil
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return fmt.Errorf("field eventTime %q is not an RFC 3339 time", discover.CleanText(s, 40))
			}
			r.EventTime = t
		case "eventSource":
			return str(key, v, &r.EventSource)
		case "eventName":
			return str(key, v, &r.EventName)
		case "eventType":
			return str(key, v, &r.EventType)
		case "eventID":
			return str(key, v, &r.EventID)
		case "awsRegion":
			return str(key, v, &r.AWSRegion)
		case "sourceIPAddress":
			return str(key, v, &r.SourceIP)
		case "userAgent":
			return str(key, v, &r.UserAgent)
		case "errorCode":
			return str(key, v, &r.ErrorCode)
		case "recipientAccountId":
			return str(key, v, &r.Recipient)
		case "sessionCredentialFromConsole":
			return str(key, v, &r.SessionCredentialFromConsole)
		case "userIdentity":
			return object(key, v, func(k string, v []byte) error { return decodeUserIdentity(k, v, r) })
		case "requestParameters":
			p := &r.RequestParameters
			return object(key, v, func(k string, v []byte) error {
				switch k {
				case "roleArn":
					return loose(v, &p.RoleArn)
				case "bucketName":
					return loose(v, &p.BucketName)
				case "key":
					return loose(v, &p.Key)
				case "secretId":
					return loose(v, &p.SecretID)
				case "name":
					return loose(v, &p.Name)
				case "userName":
					return loose(v, &p.UserName)
				case "roleName":
					return loose(v, &p.RoleName)
				}
				return nil
			})
		case "responseElements":
			re := &r.ResponseElements
			return object(key, v, func(k string, v []byte) error {
				switch k {
				case "ConsoleLogin":
					return loose(v, &re.ConsoleLogin)
				case "user":
					return looseObject(v, map[string]*string{"arn": &re.User.Arn, "userName": &re.User.UserName})
				case "role":
					return looseObject(v, map[string]*string{"arn": &re.Role.Arn, "roleName": &re.Role.RoleName})
				case "accessKey":
					return looseObject(v, map[string]*string{"accessKeyId": &re.AccessKey.AccessKeyID, "userName": &re.AccessKey.UserName})
				}
				return nil
			})
		case "resources":
			if discover.IsNull(v) {
				return nil
			}
			r.Resources = r.Resources[:0]
			return discover.Elements(v, func(e []byte) error {
				var arn string
				err := object("resources", e, func(k string, v []byte) error {
					if k == "ARN" {
						return loose(v, &arn)
					}
					return nil
				})
				r.Resources = append(r.Resources, struct {
					ARN string `json:"ARN"`
				}{arn})
				return err
			})
		}
		return nil
	})
}

func decodeUserIdentity(key string, v []byte, r *ctRecord) error {
	u := &r.UserIdentity
	switch key {
	case "type":
		return str("userIdentity.type", v, &u.Type)
	case "principalId":
		return str("userIdentity.principalId", v, &u.PrincipalID)
	case "arn":
		return str("userIdentity.arn", v, &u.Arn)
	case "accountId":
		return str("userIdentity.accountId", v, &u.AccountID)
	case "accessKeyId":
		return str("userIdentity.accessKeyId", v, &u.AccessKeyID)
	case "userName":
		return str("userIdentity.userName", v, &u.UserName)
	case "invokedBy":
		return str("userIdentity.invokedBy", v, &u.InvokedBy)
	case "identityProvider":
		return str("userIdentity.identityProvider", v, &u.IdentityProvider)
	case "sessionContext":
		sc := &u.SessionContext
		return object("userIdentity.sessionContext", v, func(k string, v []byte) error {
			switch k {
			case "sessionIssuer":
				return object("sessionIssuer", v, func(k string, v []byte) error {
					switch k {
					case "type":
						return str("sessionIssuer.type", v, &sc.SessionIssuer.Type)
					case "arn":
						return str("sessionIssuer.arn", v, &sc.SessionIssuer.Arn)
					case "userName":
						return str("sessionIssuer.userName", v, &sc.SessionIssuer.UserName)
					}
					return nil
				})
			case "webIdFederationData":
				return object("webIdFederationData", v, func(k string, v []byte) error {
					if k == "federatedProvider" {
						return str("webIdFederationData.federatedProvider", v, &sc.WebIDFederationData.FederatedProvider)
					}
					return nil
				})
			}
			return nil
		})
	}
	return nil
}

// str decodes a string member; null leaves it empty, anything else is an
// error naming the field.
func str(field string, v []byte, dst *string) error {
	s, err := discover.String(v)
	if err != nil {
		if discover.IsNotString(err) {
			return fmt.Errorf("field %s must be a string", field)
		}
		return err
	}
	*dst = s
	return nil
}

// loose decodes a member of a free-form block (requestParameters,
// responseElements), where services put any type: non-strings are ignored.
func loose(v []byte, dst *string) error {
	s, err := discover.String(v)
	if err != nil && discover.IsNotString(err) {
		return nil
	}
	*dst = s
	return err
}

// looseObject decodes the string members named in dst of an object in a
// free-form block; a non-object and non-string members are ignored.
func looseObject(v []byte, dst map[string]*string) error {
	if len(v) == 0 || v[0] != '{' {
		return nil
	}
	return discover.Members(v, func(k string, v []byte) error {
		if d, ok := dst[k]; ok {
			return loose(v, d)
		}
		return nil
	})
}

// object walks an object member; null is an empty object, any other
// non-object an error naming the field. Free-form members that services
// fill with other types are skipped by the callers that allow them.
func object(field string, v []byte, fn func(string, []byte) error) error {
	if discover.IsNull(v) {
		return nil
	}
	if len(v) == 0 || v[0] != '{' {
		if field == "requestParameters" || field == "responseElements" {
			return nil
		}
		return fmt.Errorf("field %s must be an object", field)
	}
	return discover.Members(v, fn)
}
