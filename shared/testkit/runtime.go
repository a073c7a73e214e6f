package testkit

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Lambda Runtime API, as aws-lambda-go's client speaks it: GET next
// answers 200 with the event and the invocation headers; POST response,
// error and init/error answer 202 (the client treats anything else as fatal).
const (
	runtimePrefix     = "/2018-06-01/runtime/"
	hdrRequestID      = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadlineMS     = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionARN    = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID        = "Lambda-Runtime-Trace-Id"
	hdrErrorType      = "Lambda-Runtime-Function-Error-Type"
	trailerErrorType  = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody  = "Lambda-Runtime-Function-Error-Body"
	maxRuntimePayload = 6 << 20 // Lambda's synchronous payload limit
)

// FunctionError is an error the function itself reported through
// /invocation/{id}/error (or /init/error): a returned error, or a panic.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// invocation is one event waiting for, or being handled by, the function.
type invocation struct {
	id       string
	event    []byte
	deadline time.Time
	done     chan result // buffered: the handler never blocks on it
}

type result struct {
	body []byte
	err  error
}

// runtimeServer is the Lambda Runtime API for one function process.
type runtimeServer struct {
	addr   string
	arn    string
	srv    *http.Server
	served chan struct{}
	closed chan struct{}
	queue  chan *invocation

	mu        sync.Mutex
	inflight  map[string]*invocation
	firstNext time.Time
	nextSeen  chan struct{} // closed at the first GET next
	initErr   *FunctionError
	initSeen  chan struct{} // closed at POST init/error
}

func startRuntimeServer(functionARN string) (*runtimeServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start Lambda runtime API: %w", err)
	}
	s := &runtimeServer{
		addr:     l.Addr().String(),
		arn:      functionARN,
		served:   make(chan struct{}),
		closed:   make(chan struct{}),
		queue:    make(chan *invocation),
		inflight: map[string]*invocation{},
		nextSeen: make(chan struct{}),
		initSeen: make(chan struct{}),
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(l)
	}()
	return s, nil
}

func (s *runtimeServer) close() {
	close(s.closed) // releases handlers parked in GET next
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		_ = s.srv.Close()
	}
	<-s.served
}

func (s *runtimeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, ok := strings.CutPrefix(r.URL.Path, runtimePrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case path == "invocation/next" && r.Method == http.MethodGet:
		s.next(w, r)
	case path == "init/error" && r.Method == http.MethodPost:
		s.initError(w, r)
	case strings.HasPrefix(path, "invocation/") && r.Method == http.MethodPost:
		id, kind, _ := strings.Cut(strings.TrimPrefix(path, "invocation/"), "/")
		switch kind {
		case "response":
			s.response(w, r, id)
		case "error":
			s.invokeError(w, r, id)
		default:
			http.NotFound(w, r)
		}
	default:
		http.NotFound(w, r)
	}
}

func (s *runtimeServer) next(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.firstNext.IsZero() {
		s.firstNext = time.Now()
		close(s.nextSeen)
	}
	s.mu.Unlock()

	var inv *invocation
	select {
	case inv = <-s.queue:
	case <-r.Context().Done():
		return
	case <-s.closed:
		http.Error(w, "runtime API closed", http.StatusGone)
		return
	}
	s.mu.Lock()
	s.inflight[inv.id] = inv
	s.mu.Unlock()

	h := w.Header()
	h.Set(hdrRequestID, inv.id)
	h.Set(hdrDeadlineMS, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(hdrFunctionARN, s.arn)
	h.Set(hdrTraceID, traceID())
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.event)
}

// finish hands the outcome of invocation id to its Invoke; false when no
// such invocation is in flight.
func (s *runtimeServer) finish(id string, res result) bool {
	s.mu.Lock()
	inv, ok := s.inflight[id]
	delete(s.inflight, id)
	s.mu.Unlock()
	if ok {
		inv.done <- res
	}
	return ok
}

func (s *runtimeServer) response(w http.ResponseWriter, r *http.Request, id string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRuntimePayload+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	res := result{body: body}
	switch {
	case len(body) > maxRuntimePayload:
		res = result{err: &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: fmt.Sprintf("response is larger than %d bytes", maxRuntimePayload)}}
	case r.Trailer.Get(trailerErrorType) != "":
		// aws-lambda-go reports a failure while streaming the response
		// in trailers: the type, and the error JSON in base64.
		fe := &FunctionError{Type: r.Trailer.Get(trailerErrorType)}
		if raw, err := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody)); err == nil {
			_ = json.Unmarshal(raw, fe)
		}
		res = result{err: fe}
	}
	if !s.finish(id, res) {
		http.Error(w, "unknown or finished invocation "+id, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func readFunctionError(r *http.Request) *FunctionError {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxRuntimePayload))
	fe := &FunctionError{}
	if err := json.Unmarshal(raw, fe); err != nil || fe.Type == "" && fe.Message == "" {
		fe.Message = strings.TrimSpace(string(raw))
	}
	if fe.Type == "" {
		fe.Type = r.Header.Get(hdrErrorType)
	}
	if fe.Type == "" {
		fe.Type = "Unhandled"
	}
	return fe
}

func (s *runtimeServer) invokeError(w http.ResponseWriter, r *http.Request, id string) {
	if !s.finish(id, result{err: readFunctionError(r)}) {
		http.Error(w, "unknown or finished invocation "+id, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func (s *runtimeServer) initError(w http.ResponseWriter, r *http.Request) {
	fe := readFunctionError(r)
	s.mu.Lock()
	if s.initErr == nil {
		s.initErr = fe
		close(s.initSeen)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// abandon forgets invocation id, so a late answer for it is refused.
func (s *runtimeServer) abandon(id string) {
	s.mu.Lock()
	delete(s.inflight, id)
	s.mu.Unlock()
}

func (s *runtimeServer) initFailure() *FunctionError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func traceID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), h[:24], h[24:40])
}

// errProcessExited marks an Invoke that failed because the bootstrap ended.
var errProcessExited = errors.New("bootstrap process exited")
