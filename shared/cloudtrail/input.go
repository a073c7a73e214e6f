package cloudtrail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Normalize turns what an operator has at hand into the EventBridge
// envelope the rules read: the envelope itself; a CloudTrail record as the
// console's event view shows it; a log file's {"Records":[…]} with one
// record; or `aws cloudtrail lookup-events` output ({"Events":[{"CloudTrailEvent":"…"}]})
// with one event. The record is kept byte for byte as the envelope's detail.
func Normalize(raw []byte) ([]byte, error) {
	raw = bytes.TrimPrefix(bytes.TrimSpace(raw), []byte("\xef\xbb\xbf"))
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, &MalformedError{Reason: "not a JSON object (want an EventBridge event, a CloudTrail record or a CloudTrail log file): " + err.Error()}
	}
	switch {
	case top["detail-type"] != nil || top["detail"] != nil:
		return raw, nil
	case top["Records"] != nil:
		var recs []json.RawMessage
		if err := json.Unmarshal(top["Records"], &recs); err != nil {
			return nil, &MalformedError{Reason: "Records is not a list of CloudTrail records: " + err.Error()}
		}
		rec, err := one(recs, "Records")
		if err != nil {
			return nil, err
		}
		return Normalize(rec)
	case top["Events"] != nil:
		var evs []json.RawMessage
		if err := json.Unmarshal(top["Events"], &evs); err != nil {
			return nil, &MalformedError{Reason: "Events is not a list of lookup-events results: " + err.Error()}
		}
		ev, err := one(evs, "Events")
		if err != nil {
			return nil, err
		}
		return Normalize(ev)
	case top["CloudTrailEvent"] != nil:
		var s string
		if err := json.Unmarshal(top["CloudTrailEvent"], &s); err != nil {
			return nil, &MalformedError{Reason: "CloudTrailEvent is not the record's JSON string: " + err.Error()}
		}
		return Normalize([]byte(s))
	case top["eventName"] != nil || top["eventSource"] != nil:
		return wrapRecord(raw)
	}
	return nil, &MalformedError{Reason: "neither an EventBridge event (detail-type, detail) nor a CloudTrail record (eventName, eventSource) nor a log file (Records)"}
}

// DecodeInput is Normalize followed by Decode.
func DecodeInput(raw []byte) (*Event, error) {
	env, err := Normalize(raw)
	if err != nil {
		return nil, err
	}
	return Decode(env)
}

func one(list []json.RawMessage, field string) (json.RawMessage, error) {
	if len(list) == 1 {
		return list[0], nil
	}
	if len(list) == 0 {
		return nil, &MalformedError{Reason: field + " is empty"}
	}
	var names []string
	for i, r := range list {
		var rec struct {
			EventID, EventName string
		}
		_ = json.Unmarshal(r, &rec)
		if i == 5 {
			names = append(names, "…")
			break
		}
		names = append(names, rec.EventName+" "+rec.EventID)
	}
	return nil, &MalformedError{Reason: fmt.Sprintf("%s holds %d records (%s): give one record", field, len(list), strings.Join(names, ", "))}
}

func wrapRecord(rec []byte) ([]byte, error) {
	var r struct {
		EventID            string `json:"eventID"`
		EventSource        string `json:"eventSource"`
		EventTime          string `json:"eventTime"`
		AWSRegion          string `json:"awsRegion"`
		RecipientAccountID string `json:"recipientAccountId"`
	}
	if err := json.Unmarshal(rec, &r); err != nil {
		return nil, &MalformedError{Reason: "not a CloudTrail record: " + err.Error()}
	}
	env := map[string]any{
		"version":     "0",
		"id":          r.EventID,
		"detail-type": DetailType,
		"source":      SourceOf(r.EventSource),
		"account":     r.RecipientAccountID,
		"region":      r.AWSRegion,
		"resources":   []string{},
		"detail":      json.RawMessage(rec),
	}
	if r.EventTime != "" {
		env["time"] = r.EventTime
	}
	return json.Marshal(env)
}
