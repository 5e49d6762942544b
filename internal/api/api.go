// Package api serves driftwatch's HTTP API under /api/v1: JSON in and out,
// errors as {"error": "..."} with a fitting status code. It knows nothing of
// the components behind it: it reads and writes through the small
// interfaces declared here, which the command wires to detectors.
//
// Endpoints:
//
//	GET  /api/v1/drift                       every model version's drift state (DriftList)
//	GET  /api/v1/drift?model=M&version=V     the last report of one model version, in the
//	     [&format=json|html|markdown|text]   shape of `driftwatch detect --format FORMAT`
//	POST /api/v1/feedback                    ground-truth labels by request id (FeedbackRequest)
//	GET  /api/v1/performance                 labelled performance per model version
//	GET  /api/v1/alerts                      pending and firing alerts, and the last resolved (AlertList)
//	GET  /api/v1/silences                    every silence with its state (SilenceList)
//	POST /api/v1/silences                    add a silence (SilenceRequest); answers the Silence
//	DELETE /api/v1/silences/{id}             expire a silence now
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// MaxFeedbackBytes bounds the body of a feedback request.
const MaxFeedbackBytes = 8 << 20

// MaxFeedbackLabels bounds the labels of one feedback request.
const MaxFeedbackLabels = 100_000

// Drift is what the drift endpoints read.
type Drift interface {
	// DriftStates returns the state of every model version watched.
	DriftStates() []DriftState
	// DriftReport renders the last report of a model version in a format
	// of `driftwatch detect`. It returns ErrNotFound for a model version
	// not watched, ErrNoReport when none was compared yet, and an error
	// wrapping ErrBadFormat for an unknown format.
	DriftReport(model, version, format string) (body []byte, contentType string, err error)
}

// Feedback is what the feedback endpoints use.
type Feedback interface {
	// Label joins the ground truth of the index-th instance of a request
	// with its prediction; the error says why it could not.
	Label(requestID string, index int, truth obs.Value, now time.Time) error
	// Performance returns the last performance of every model version.
	Performance() []Performance
}

// Suspects serves /api/v1/suspects.
type Suspects interface {
	// Suspects returns the clients suspected of adversarial use, by
	// salted hash, oldest first.
	Suspects() []Suspect
}

// Outliers serves /api/v1/outliers.
type Outliers interface {
	// Outliers returns the recent outliers of every model version, or of
	// one model when model is not empty, newest first.
	Outliers(model string) []Outlier
}

// Alerts serves /api/v1/alerts.
type Alerts interface {
	// Alerts returns the pending and firing alerts, and those resolved
	// recently, most severe first.
	Alerts() []Alert
}

// Silences is what the silence endpoints use.
type Silences interface {
	ListSilences(now time.Time) []Silence
	// AddSilence adds a silence; an error is the request's fault.
	AddSilence(req SilenceRequest, now time.Time) (Silence, error)
	// ExpireSilence ends a silence now; ErrNotFound for an unknown id.
	ExpireSilence(id string, now time.Time) (Silence, error)
}

// Errors a Drift returns.
var (
	ErrNotFound  = errors.New("not found")
	ErrNoReport  = errors.New("no report yet")
	ErrBadFormat = errors.New("unknown format")
)

// Handler serves /api/v1. A nil Drift or Feedback answers 404 on its
// endpoints.
type Handler struct {
	Drift    Drift
	Feedback Feedback
	Alerts   Alerts
	Silences Silences
	Suspects Suspects
	Outliers Outliers
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Hints say, by path, how to enable an endpoint that is off.
	Hints map[string]string
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/v1/drift":
		if h.Drift != nil && allow(w, r, http.MethodGet) {
			h.drift(w, r)
			return
		}
	case "/api/v1/feedback":
		if h.Feedback != nil && allow(w, r, http.MethodPost) {
			h.feedback(w, r)
			return
		}
	case "/api/v1/performance":
		if h.Feedback != nil && allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, PerformanceList{Models: h.Feedback.Performance()})
			return
		}
	case "/api/v1/alerts":
		if h.Alerts != nil && allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, AlertList{Alerts: h.Alerts.Alerts()})
			return
		}
	case "/api/v1/suspects":
		if h.Suspects != nil && allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, SuspectList{Suspects: orEmpty(h.Suspects.Suspects())})
			return
		}
	case "/api/v1/outliers":
		if h.Outliers != nil && allow(w, r, http.MethodGet) {
			writeJSON(w, http.StatusOK, OutlierList{Outliers: orEmpty(h.Outliers.Outliers(r.URL.Query().Get("model")))})
			return
		}
	case "/api/v1/silences":
		if h.Silences != nil {
			h.silences(w, r)
			return
		}
	default:
		if id, ok := strings.CutPrefix(r.URL.Path, "/api/v1/silences/"); ok && h.Silences != nil && !strings.Contains(id, "/") {
			if allow(w, r, http.MethodDelete) {
				h.expireSilence(w, id)
			}
			return
		}
		writeError(w, http.StatusNotFound, "no such endpoint %s; see /api/v1/drift, /api/v1/feedback, /api/v1/performance, /api/v1/alerts, /api/v1/suspects, /api/v1/silences", r.URL.Path)
		return
	}
	if w.Header().Get("Allow") != "" {
		return // 405 written
	}
	msg := r.URL.Path + " is not enabled in this process"
	if hint := h.Hints[r.URL.Path]; hint != "" {
		msg += ": " + hint
	}
	writeError(w, http.StatusNotFound, "%s", msg)
}

// allow reports whether r uses method (HEAD counts as GET), else answers 405.
func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method || method == http.MethodGet && r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", method)
	writeError(w, http.StatusMethodNotAllowed, "%s %s: use %s", r.Method, r.URL.Path, method)
	return false
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) drift(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	model, version, format := q.Get("model"), q.Get("version"), q.Get("format")
	if model == "" && version == "" && format == "" {
		writeJSON(w, http.StatusOK, DriftList{Models: h.Drift.DriftStates()})
		return
	}
	if model == "" {
		writeError(w, http.StatusBadRequest, "give model (and version) to get a report; without parameters the list of models is returned")
		return
	}
	if format == "" {
		format = "json"
	}
	body, ctype, err := h.Drift.DriftReport(model, version, format)
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "model %q version %q is not watched; GET /api/v1/drift lists those that are", model, version)
	case errors.Is(err, ErrNoReport):
		writeError(w, http.StatusNotFound, "model %q version %q has no report yet: %v", model, version, err)
	case errors.Is(err, ErrBadFormat):
		writeError(w, http.StatusBadRequest, "%v", err)
	case err != nil:
		writeError(w, http.StatusInternalServerError, "render report: %v", err)
	default:
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}
}

func (h *Handler) feedback(w http.ResponseWriter, r *http.Request) {
	var req FeedbackRequest
	if !decodeBody(w, r, "feedback request", &req, MaxFeedbackBytes) {
		return
	}
	if len(req.Labels) == 0 {
		writeError(w, http.StatusBadRequest, `no labels: want {"labels": [{"request_id": "...", "label": ...}]}`)
		return
	}
	if len(req.Labels) > MaxFeedbackLabels {
		writeError(w, http.StatusRequestEntityTooLarge, "%d labels: send at most %d per request", len(req.Labels), MaxFeedbackLabels)
		return
	}
	now := h.now()
	resp := FeedbackResponse{}
	for i, l := range req.Labels {
		err := l.check()
		if err == nil {
			err = h.Feedback.Label(l.RequestID, l.Index, l.Label.value, now)
		}
		if err != nil {
			resp.Rejected = append(resp.Rejected, Rejection{Index: i, RequestID: l.RequestID, Error: err.Error()})
			continue
		}
		resp.Accepted++
	}
	writeJSON(w, http.StatusOK, resp)
}

func (h *Handler) silences(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		writeJSON(w, http.StatusOK, SilenceList{Silences: h.Silences.ListSilences(h.now())})
	case http.MethodPost:
		var req SilenceRequest
		if !decodeBody(w, r, "silence request", &req, 1<<20) {
			return
		}
		s, err := h.Silences.AddSilence(req, h.now())
		if err != nil {
			writeError(w, http.StatusBadRequest, "silence not added: %v", err)
			return
		}
		writeJSON(w, http.StatusCreated, s)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, "%s %s: use GET or POST", r.Method, r.URL.Path)
	}
}

func (h *Handler) expireSilence(w http.ResponseWriter, id string) {
	s, err := h.Silences.ExpireSilence(id, h.now())
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "no silence %q; GET /api/v1/silences lists them", id)
	case err != nil:
		writeError(w, http.StatusInternalServerError, "expire silence: %v", err)
	default:
		writeJSON(w, http.StatusOK, s)
	}
}

// decodeBody decodes a JSON body (a what) of at most max bytes strictly into v, or
// answers the error and returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, what string, v any, max int64) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeError(w, http.StatusUnsupportedMediaType, "Content-Type %q: send application/json", ct)
			return false
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body larger than %d bytes", max)
			return false
		}
		writeError(w, http.StatusBadRequest, "body is not a valid %s: %v", what, err)
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "body has data after the JSON object")
		return false
	}
	return true
}

// writeJSON writes v as the JSON body of a response with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: "encode response: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

type errorBody struct {
	Error string `json:"error"`
}

// writeError writes {"error": "..."} with status code.
func writeError(w http.ResponseWriter, code int, format string, a ...any) {
	writeJSON(w, code, errorBody{Error: fmt.Sprintf(format, a...)})
}

// orEmpty returns s, or an empty slice for nil, so that JSON says [].
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
