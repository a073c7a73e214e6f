// Package cloudtrail decodes "AWS API Call via CloudTrail" events as
// EventBridge delivers them, with every quirk gcguard depends on: JSON
// strings inside requestParameters, XML-shaped S3 parameters, list-valued
// hosts, oversized records whose parameters were omitted.
package cloudtrail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DetailType is the EventBridge detail-type of CloudTrail API call events.
const DetailType = "AWS API Call via CloudTrail"

// Event is the EventBridge envelope with its CloudTrail record.
type Event struct {
	ID         string    `json:"id"`
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Account    string    `json:"account"`
	Time       time.Time `json:"time"`
	Region     string    `json:"region"`
	Detail     Record    `json:"detail"`
}

// Record is the CloudTrail record. Parameters stay raw: each rule reads the
// few fields it needs through the accessors below.
type Record struct {
	EventVersion       string          `json:"eventVersion"`
	EventID            string          `json:"eventID"`
	EventName          string          `json:"eventName"`
	EventSource        string          `json:"eventSource"`
	EventTime          time.Time       `json:"eventTime"`
	EventType          string          `json:"eventType"`
	AWSRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode"`
	ErrorMessage       string          `json:"errorMessage"`
	ReadOnly           *bool           `json:"readOnly"`
	RecipientAccountID string          `json:"recipientAccountId"`
	UserIdentity       UserIdentity    `json:"userIdentity"`
	RequestParameters  json.RawMessage `json:"requestParameters"`
	ResponseElements   json.RawMessage `json:"responseElements"`
	// AdditionalEventData says, among other things, when CloudTrail omitted
	// the parameters of an oversized record.
	AdditionalEventData json.RawMessage `json:"additionalEventData"`
}

// UserIdentity is who made the call.
type UserIdentity struct {
	Type           string          `json:"type"` // Root, IAMUser, AssumedRole, AWSService, AWSAccount, FederatedUser, IdentityCenterUser
	PrincipalID    string          `json:"principalId"`
	ARN            string          `json:"arn"`
	AccountID      string          `json:"accountId"`
	AccessKeyID    string          `json:"accessKeyId"`
	UserName       string          `json:"userName"`
	InvokedBy      string          `json:"invokedBy"`
	SessionContext *SessionContext `json:"sessionContext"`
	OnBehalfOf     *OnBehalfOf     `json:"onBehalfOf"`
}

// OnBehalfOf names the IAM Identity Center user behind an
// IdentityCenterUser call, which carries no user name of its own.
type OnBehalfOf struct {
	UserID           string `json:"userId"`
	IdentityStoreARN string `json:"identityStoreArn"`
}

// SessionContext carries the role behind an assumed-role session.
type SessionContext struct {
	SessionIssuer struct {
		Type        string `json:"type"`
		PrincipalID string `json:"principalId"`
		ARN         string `json:"arn"`
		AccountID   string `json:"accountId"`
		UserName    string `json:"userName"`
	} `json:"sessionIssuer"`
	SourceIdentity string `json:"sourceIdentity"`
}

// MalformedError says why an event cannot be handled. Retrying it will not
// help, so the engine logs it once and ends.
type MalformedError struct {
	EventID string
	Reason  string
}

func (e *MalformedError) Error() string {
	id := e.EventID
	if id == "" {
		id = "(no id)"
	}
	return fmt.Sprintf("malformed event %s: %s", id, e.Reason)
}

// MaxEventBytes bounds what gcguard will decode; EventBridge events are at
// most 256 KB.
const MaxEventBytes = 1 << 20

// Decode reads an EventBridge envelope. It accepts the envelope only: a bare
// CloudTrail record (as CloudWatch Logs delivers it) goes through DecodeRecord.
func Decode(raw []byte) (*Event, error) {
	if len(raw) > MaxEventBytes {
		return nil, &MalformedError{Reason: fmt.Sprintf("event is %d bytes, over the %d-byte limit", len(raw), MaxEventBytes)}
	}
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, &MalformedError{EventID: peekID(raw), Reason: "not an EventBridge event: " + err.Error()}
	}
	if ev.DetailType != DetailType {
		return nil, &MalformedError{EventID: ev.ID, Reason: fmt.Sprintf("detail-type %q is not %q", ev.DetailType, DetailType)}
	}
	if err := ev.Detail.check(); err != nil {
		return nil, &MalformedError{EventID: ev.ID, Reason: err.Error()}
	}
	if ev.Account == "" {
		ev.Account = ev.Detail.RecipientAccountID
	}
	if ev.Region == "" {
		ev.Region = ev.Detail.AWSRegion
	}
	return &ev, nil
}

// DecodeRecord reads a bare CloudTrail record and wraps it as EventBridge
// would, so the CloudWatch Logs source feeds the same rules.
func DecodeRecord(raw []byte) (*Event, error) {
	var r Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, &MalformedError{Reason: "not a CloudTrail record: " + err.Error()}
	}
	if err := r.check(); err != nil {
		return nil, &MalformedError{EventID: r.EventID, Reason: err.Error()}
	}
	return &Event{
		ID: r.EventID, DetailType: DetailType, Source: SourceOf(r.EventSource),
		Account: r.RecipientAccountID, Time: r.EventTime, Region: r.AWSRegion, Detail: r,
	}, nil
}

func (r *Record) check() error {
	switch {
	case r.EventName == "":
		return errors.New("detail.eventName is missing")
	case r.EventSource == "":
		return errors.New("detail.eventSource is missing")
	}
	return nil
}

// SourceOf maps an eventSource (iam.amazonaws.com) to an EventBridge source (aws.iam).
func SourceOf(eventSource string) string {
	svc, _, _ := strings.Cut(eventSource, ".")
	return "aws." + svc
}

// peekID finds the envelope's top-level "id" by reading tokens, so that a
// truncated or otherwise broken event is still named by its id when the id
// comes before the damage.
func peekID(raw []byte) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := t.(string)
		if key == "id" {
			var id string
			if dec.Decode(&id) != nil {
				return ""
			}
			return id
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return ""
		}
	}
	return ""
}

// Failed reports whether the call itself failed: nothing changed.
func (e *Event) Failed() bool { return e.Detail.ErrorCode != "" }

var readPrefixes = []string{"Get", "List", "Describe", "Head", "Lookup", "Generate", "Simulate"}

// ReadOnly reports whether the call changes nothing. CloudTrail's own
// readOnly flag wins; older records lack it, so the name decides.
func (e *Event) ReadOnly() bool {
	if e.Detail.ReadOnly != nil {
		return *e.Detail.ReadOnly
	}
	for _, p := range readPrefixes {
		if strings.HasPrefix(e.Detail.EventName, p) {
			return true
		}
	}
	return false
}

// ParamsOmitted reports whether CloudTrail dropped requestParameters because
// the record was too large. Only live state can tell what changed then. A
// record whose call simply has no parameters (a user creating their own
// access key, the root user) is not omitted: CloudTrail marks omission,
// either in place of the parameters or in additionalEventData.
func (e *Event) ParamsOmitted() bool {
	p := bytes.TrimSpace(e.Detail.RequestParameters)
	if len(p) == 0 || bytes.Equal(p, []byte("null")) {
		return omittedMarker(e.Detail.AdditionalEventData, -1)
	}
	if p[0] == '"' {
		return true // a marker string in place of the object
	}
	if p[0] != '{' {
		return true // not the object CloudTrail writes: nothing usable is left
	}
	return omittedMarker(p, 2)
}

// omittedMarker reports whether doc is an object with "omitted": true and, when
// maxKeys >= 0, at most maxKeys keys (the marker and the original size).
func omittedMarker(doc json.RawMessage, maxKeys int) bool {
	var m map[string]json.RawMessage
	if len(doc) == 0 || json.Unmarshal(doc, &m) != nil {
		return false
	}
	v, ok := m["omitted"]
	return ok && string(bytes.TrimSpace(v)) == "true" && (maxKeys < 0 || len(m) <= maxKeys)
}

// Param returns requestParameters.<path> as a string ("" when absent).
// Path elements are separated by dots. JSON strings are returned unquoted;
// other JSON values as their text.
func (e *Event) Param(path string) string { return lookup(e.Detail.RequestParameters, path) }

// Response returns responseElements.<path> as Param does.
func (e *Event) Response(path string) string { return lookup(e.Detail.ResponseElements, path) }

// ParamRaw returns requestParameters.<path> as raw JSON, or nil.
func (e *Event) ParamRaw(path string) json.RawMessage {
	return lookupRaw(e.Detail.RequestParameters, path)
}

func lookup(doc json.RawMessage, path string) string {
	v := lookupRaw(doc, path)
	if v == nil {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	if bytes.Equal(v, []byte("null")) {
		return ""
	}
	return string(v)
}

func lookupRaw(doc json.RawMessage, path string) json.RawMessage {
	cur := doc
	for _, key := range strings.Split(path, ".") {
		var m map[string]json.RawMessage
		if len(cur) == 0 || json.Unmarshal(cur, &m) != nil {
			return nil
		}
		next, ok := m[key]
		if !ok {
			return nil
		}
		cur = next
	}
	return cur
}

// Host returns requestParameters.Host, which older S3 records give as a list.
func (e *Event) Host() string {
	raw := e.ParamRaw("Host")
	if raw == nil {
		return ""
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		if len(list) > 0 {
			return list[0]
		}
		return ""
	}
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
