package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

type fakeDrift struct{}

func (fakeDrift) DriftStates() []DriftState {
	return []DriftState{{Model: "iris", Version: "1", Status: "no_drift"}}
}

func (fakeDrift) DriftReport(model, version, format string) ([]byte, string, error) {
	switch {
	case format != "json" && format != "html":
		return nil, "", fmt.Errorf("%w %q", ErrBadFormat, format)
	case model == "new":
		return nil, "", fmt.Errorf("%w: collecting the reference", ErrNoReport)
	case model != "iris" || version != "1":
		return nil, "", ErrNotFound
	case format == "html":
		return []byte("<html>"), "text/html; charset=utf-8", nil
	}
	return []byte(`{"drift":false}`), "application/json", nil
}

// fakeFeedback accepts labels of request ids starting with "ok".
type fakeFeedback struct{ got []string }

func (f *fakeFeedback) Label(id string, index int, v obs.Value, _ time.Time) error {
	if !strings.HasPrefix(id, "ok") {
		return errors.New("unknown request id")
	}
	f.got = append(f.got, fmt.Sprintf("%s/%d=%v:%g%s", id, index, v.Kind, v.Num, v.Str))
	return nil
}

func (f *fakeFeedback) Performance() []Performance {
	return []Performance{{Model: "iris", Version: "1", Task: "classification", Metrics: map[string]float64{"accuracy": 0.5}, Labels: 2}}
}

type fakeAlerts struct{}

func (fakeAlerts) Alerts() []Alert {
	return []Alert{{Rule: "drift", State: "firing", Severity: "warning", Labels: map[string]string{"model": "iris"},
		Evidence: []Field{{Key: "top_features", Value: "petal_length (0.4)"}}, Fingerprint: "00000000000000ff"}}
}

type fakeSilences struct{}

func (fakeSilences) ListSilences(time.Time) []Silence {
	return []Silence{{ID: "abc", State: "active", Matchers: []string{"model=iris"}, CreatedBy: "ana"}}
}

func (fakeSilences) AddSilence(req SilenceRequest, _ time.Time) (Silence, error) {
	if req.CreatedBy == "" {
		return Silence{}, errors.New("created_by is required")
	}
	return Silence{ID: "new", State: "active", Matchers: req.Matchers, CreatedBy: req.CreatedBy}, nil
}

func (fakeSilences) ExpireSilence(id string, _ time.Time) (Silence, error) {
	if id != "abc" {
		return Silence{}, ErrNotFound
	}
	return Silence{ID: "abc", State: "expired"}, nil
}

func TestHandler(t *testing.T) {
	for _, tc := range []struct {
		name, method, target, ctype, body string
		code                              int
		want                              string // a substring of the answer
	}{
		{"list", "GET", "/api/v1/drift", "", "", 200, `{"models":[{"model":"iris","version":"1","status":"no_drift"`},
		{"report", "GET", "/api/v1/drift?model=iris&version=1", "", "", 200, `{"drift":false}`},
		{"report html", "GET", "/api/v1/drift?model=iris&version=1&format=html", "", "", 200, `<html>`},
		{"report bad format", "GET", "/api/v1/drift?model=iris&version=1&format=pdf", "", "", 400, `unknown format \"pdf\"`},
		{"report unknown", "GET", "/api/v1/drift?model=cats&version=1", "", "", 404, `model \"cats\" version \"1\" is not watched`},
		{"report not yet", "GET", "/api/v1/drift?model=new", "", "", 404, `no report yet: collecting the reference`},
		{"report without model", "GET", "/api/v1/drift?version=1", "", "", 400, `give model`},
		{"drift by POST", "POST", "/api/v1/drift", "", "", 405, `use GET`},
		{"unknown endpoint", "GET", "/api/v1/nope", "", "", 404, `no such endpoint /api/v1/nope`},
		{"performance", "GET", "/api/v1/performance", "", "", 200, `"metrics":{"accuracy":0.5}`},
		{"alerts", "GET", "/api/v1/alerts", "", "", 200, `{"alerts":[{"rule":"drift","state":"firing","severity":"warning","labels":{"model":"iris"},"value":0,"evidence":[{"key":"top_features","value":"petal_length (0.4)"}]`},
		{"alerts by POST", "POST", "/api/v1/alerts", "", "", 405, `use GET`},
		{"silences", "GET", "/api/v1/silences", "", "", 200, `{"silences":[{"id":"abc","state":"active","matchers":["model=iris"]`},
		{"add silence", "POST", "/api/v1/silences", "application/json", `{"matchers":["model=iris"],"duration":"2h","created_by":"ana"}`, 201, `"id":"new"`},
		{"add bad silence", "POST", "/api/v1/silences", "", `{"matchers":["model=iris"],"duration":"2h"}`, 400, `silence not added: created_by is required`},
		{"add silence unknown field", "POST", "/api/v1/silences", "", `{"matcher":"x"}`, 400, `unknown field \"matcher\"`},
		{"expire silence", "DELETE", "/api/v1/silences/abc", "", "", 200, `"state":"expired"`},
		{"expire unknown silence", "DELETE", "/api/v1/silences/zzz", "", "", 404, `no silence \"zzz\"`},
		{"silence by GET", "GET", "/api/v1/silences/abc", "", "", 405, `use DELETE`},
		{"silences by PUT", "PUT", "/api/v1/silences", "", "", 405, `use GET or POST`},
		{"feedback", "POST", "/api/v1/feedback", "application/json",
			`{"labels":[{"request_id":"ok-1","label":1},{"request_id":"ok-2","index":2,"label":"cat"},{"request_id":"x","label":true}]}`,
			200, `{"accepted":2,"rejected":[{"index":2,"request_id":"x","error":"unknown request id"}]}`},
		{"feedback checks each label", "POST", "/api/v1/feedback", "",
			`{"labels":[{"request_id":"","label":1},{"request_id":"ok","index":-1,"label":1},{"request_id":"ok"}]}`,
			200, `"rejected":[{"index":0,"request_id":"","error":"request_id is empty"},{"index":1,"request_id":"ok","error":"index -1 is negative"},{"index":2,"request_id":"ok","error":"label is missing or null"}]`},
		{"feedback by GET", "GET", "/api/v1/feedback", "", "", 405, `use POST`},
		{"feedback not JSON", "POST", "/api/v1/feedback", "text/csv", `a,b`, 415, `send application/json`},
		{"feedback bad JSON", "POST", "/api/v1/feedback", "application/json", `{"labels":[`, 400, `not a valid feedback request`},
		{"feedback unknown field", "POST", "/api/v1/feedback", "application/json", `{"label":[]}`, 400, `unknown field \"label\"`},
		{"feedback bad label", "POST", "/api/v1/feedback", "application/json", `{"labels":[{"request_id":"ok","label":[1]}]}`, 400, `want a number, a string or a boolean`},
		{"feedback empty", "POST", "/api/v1/feedback", "application/json", `{"labels":[]}`, 400, `no labels`},
		{"feedback trailing data", "POST", "/api/v1/feedback", "application/json", `{"labels":[]} {}`, 400, `data after the JSON object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{Drift: fakeDrift{}, Feedback: &fakeFeedback{}, Alerts: fakeAlerts{}, Silences: fakeSilences{}}
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tc.code || !strings.Contains(string(body), tc.want) {
				t.Errorf("%s %s: %d %s\nwant %d with %s", tc.method, tc.target, rec.Code, body, tc.code, tc.want)
			}
			if ct := rec.Header().Get("Content-Type"); tc.code != 200 && ct != "application/json" {
				t.Errorf("error Content-Type %q, want application/json", ct)
			}
		})
	}
}

func TestFeedbackValues(t *testing.T) {
	f := &fakeFeedback{}
	h := &Handler{Feedback: f}
	body := `{"labels":[{"request_id":"ok","label":2.5},{"request_id":"ok","index":1,"label":"b"},{"request_id":"ok","index":2,"label":false}]}`
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/feedback", strings.NewReader(body)))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := []string{"ok/0=1:2.5", "ok/1=2:0b", "ok/2=1:0"}
	if fmt.Sprint(f.got) != fmt.Sprint(want) {
		t.Errorf("labels %q, want %q", f.got, want)
	}
}

func TestFeedbackTooLarge(t *testing.T) {
	h := &Handler{Feedback: &fakeFeedback{}}
	body := `{"labels":[` + strings.Repeat(`{"request_id":"ok","label":1},`, MaxFeedbackBytes/30) + `{"request_id":"ok","label":1}]}`
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/feedback", strings.NewReader(body)))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413: %s", rec.Code, rec.Body)
	}
}

func TestDisabled(t *testing.T) {
	h := &Handler{}
	for _, path := range []string{"/api/v1/drift", "/api/v1/feedback", "/api/v1/performance", "/api/v1/alerts", "/api/v1/silences"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "not enabled") {
			t.Errorf("GET %s with nothing behind it: %d %s, want 404 not enabled", path, rec.Code, rec.Body)
		}
	}
}
