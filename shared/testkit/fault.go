package testkit

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Fault is what the proxy does instead of (or before) forwarding a call.
//
//   - Delay alone slows the call down, then forwards it.
//   - Reset drops the connection without an answer (after Delay), which the
//     SDK sees as "connection reset by peer".
//   - Status answers with an AWS error in the call's protocol: Code and
//     Message are rendered as the service would (XML for query and S3, JSON
//     otherwise), or Body is sent verbatim with ContentType.
type Fault struct {
	Status      int
	Code        string
	Message     string
	Body        []byte
	ContentType string
	Delay       time.Duration
	Reset       bool
}

// Throttle is the throttling error each protocol's services send: S3's
// 503 SlowDown, JSON services' 400 ThrottlingException, and the query
// services' (IAM, STS, SNS) 400 Throttling. The SDK retries all three.
func Throttle(c Call) *Fault {
	switch c.Protocol {
	case ProtocolRESTXML:
		return &Fault{Status: http.StatusServiceUnavailable, Code: "SlowDown", Message: "Please reduce your request rate."}
	case ProtocolJSON, ProtocolRESTJSON:
		return &Fault{Status: http.StatusBadRequest, Code: "ThrottlingException", Message: "Rate exceeded"}
	default:
		return &Fault{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"}
	}
}

// Times makes a fault hook that injects f's fault only the first n times it
// matches, then lets calls through: "throttled twice, then succeeds".
func Times(n int, f func(Call) *Fault) func(Call) *Fault {
	var mu sync.Mutex
	left := n
	return func(c Call) *Fault {
		mu.Lock()
		defer mu.Unlock()
		if left <= 0 {
			return nil
		}
		fault := f(c)
		if fault != nil {
			left--
		}
		return fault
	}
}

// Match makes a fault hook that applies f to the calls of service whose
// action is one of actions (any action when none are given).
func Match(service string, f func(Call) *Fault, actions ...string) func(Call) *Fault {
	return func(c Call) *Fault {
		if c.Service != service {
			return nil
		}
		if len(actions) == 0 {
			return f(c)
		}
		for _, a := range actions {
			if c.Action == a {
				return f(c)
			}
		}
		return nil
	}
}

// write answers with the fault's error.
func (f *Fault) write(w http.ResponseWriter, c Call, requestID string) {
	body, ctype := f.Body, f.ContentType
	if body == nil {
		body, ctype = errorBody(c, f.Code, f.Message, requestID)
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("X-Amz-Request-Id", requestID)
	if c.Protocol == ProtocolJSON || c.Protocol == ProtocolRESTJSON {
		h.Set("X-Amzn-Errortype", f.Code)
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(f.Status)
	_, _ = w.Write(body)
}

type queryError struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

type restXMLError struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

// errorBody renders an AWS error the way c's protocol carries it.
func errorBody(c Call, code, message, requestID string) ([]byte, string) {
	switch c.Protocol {
	case ProtocolJSON, ProtocolRESTJSON:
		b, _ := json.Marshal(map[string]string{"__type": code, "message": message})
		ctype := "application/x-amz-json-1.0"
		if c.Protocol == ProtocolRESTJSON {
			ctype = "application/json"
		}
		return b, ctype
	case ProtocolRESTXML:
		b, _ := xml.Marshal(restXMLError{Code: code, Message: message, RequestID: requestID})
		return append([]byte(xml.Header), b...), "application/xml"
	default:
		b, _ := xml.Marshal(queryError{Type: "Sender", Code: code, Message: message, RequestID: requestID})
		return b, "text/xml"
	}
}
