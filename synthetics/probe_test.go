package synthetics

import (
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

func newProber(t *testing.T, c Check) *Prober {
	t.Helper()
	if c.Name == "" {
		c.Name = "check"
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	p, err := NewProber(c, t.TempDir())
	if err != nil {
		t.Fatalf("NewProber: %v", err)
	}
	return p
}

// modelAnswer is an OIP v2 answer as the breast-cancer model server gives.
const modelAnswer = `{"model_name":"breast-cancer","model_version":"1","id":"42",
 "outputs":[{"name":"probabilities","shape":[1,2],"datatype":"FP64","data":[[0.03,0.97]]},
            {"name":"label","shape":[1],"datatype":"INT64","data":[1]}]}`

func fp(v float64) *float64 { return &v }
func bp(v bool) *bool       { return &v }

// TestAssertions: each kind of assertion, holding and failing, with the
// reason a failure gives.
func TestAssertions(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(obs.HeaderSynthetic) != "1" {
			http.Error(w, "not marked synthetic", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Model-Version", "1")
		io.WriteString(w, modelAnswer)
	}))
	defer srv.Close()
	tests := []struct {
		name   string
		expect Expect
		reason string // "" when the check passes
	}{
		{"default status", Expect{}, ""},
		{"status", Expect{Status: []int{200}}, ""},
		{"status wrong", Expect{Status: []int{201, 204}}, "status 200, want one of 201, 204: {"},
		{"latency", Expect{MaxLatency: time.Minute}, ""},
		{"latency over", Expect{MaxLatency: time.Nanosecond}, "latency "},
		{"header equals", Expect{Headers: []HeaderAssertion{{Name: "x-model-version", Equals: "1"}}}, ""},
		{"header differs", Expect{Headers: []HeaderAssertion{{Name: "X-Model-Version", Equals: "2"}}}, `header X-Model-Version is "1", want "2"`},
		{"header matches", Expect{Headers: []HeaderAssertion{{Name: "Content-Type", Matches: "^application/json"}}}, ""},
		{"header does not match", Expect{Headers: []HeaderAssertion{{Name: "Content-Type", Matches: "xml"}}}, `header Content-Type is "application/json", want it to match "xml"`},
		{"header absent", Expect{Headers: []HeaderAssertion{{Name: "X-Debug", Present: bp(false)}}}, ""},
		{"header missing", Expect{Headers: []HeaderAssertion{{Name: "X-Debug", Present: bp(true)}}}, "header X-Debug absent, want it present"},
		{"json equals", Expect{JSON: []JSONAssertion{{Path: "$.outputs[1].data[0]", Equals: 1}}}, ""},
		{"json equals string", Expect{JSON: []JSONAssertion{{Path: "$.model_name", Equals: "breast-cancer"}}}, ""},
		{"json differs", Expect{JSON: []JSONAssertion{{Path: "$.outputs[1].data[0]", Equals: 0}}}, "$.outputs[1].data[0] is 1, want 0"},
		{"json range", Expect{JSON: []JSONAssertion{{Path: "$.outputs[0].data[0][1]", Min: fp(0.9), Max: fp(1)}}}, ""},
		{"json out of range", Expect{JSON: []JSONAssertion{{Path: "$.outputs[0].data[0][1]", Max: fp(0.5)}}}, "$.outputs[0].data[0][1] is 0.97, want at most 0.5"},
		{"json range not a number", Expect{JSON: []JSONAssertion{{Path: "$.model_name", Min: fp(0)}}}, `$.model_name is "breast-cancer", want a number`},
		{"json every selected", Expect{JSON: []JSONAssertion{{Path: "$.outputs[0].data[0][*]", Min: fp(0.5)}}}, "$.outputs[0].data[0][*] is 0.03, want at least 0.5"},
		{"json regex", Expect{JSON: []JSONAssertion{{Path: "$.model_version", Matches: `^\d+$`}}}, ""},
		{"json regex fails", Expect{JSON: []JSONAssertion{{Path: "$.model_version", Matches: `^v`}}}, `$.model_version is "1", want it to match "^v"`},
		{"json present", Expect{JSON: []JSONAssertion{{Path: "$.id", Present: bp(true)}}}, ""},
		{"json absent", Expect{JSON: []JSONAssertion{{Path: "$.error", Present: bp(true)}}}, "$.error selects 0 values, want it present"},
		{"json selects nothing", Expect{JSON: []JSONAssertion{{Path: "$.nope", Equals: 1}}}, "$.nope selects nothing in the body"},
		{"cert on plain http", Expect{CertValidFor: time.Hour}, "no TLS certificate (plain HTTP), want one valid for 1h0m0s more"},
		{"several fail: the first is the reason", Expect{Status: []int{500}, MaxLatency: time.Nanosecond}, "status 200, want 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProber(t, Check{Request: Request{URL: srv.URL}, Expect: &tt.expect})
			r := p.Run(context.Background())
			if tt.reason == "" {
				if !r.Success || r.Reason != "" {
					t.Fatalf("failed: %s", r.Reason)
				}
				return
			}
			if r.Success || !strings.HasPrefix(r.Reason, tt.reason) {
				t.Fatalf("reason %q, want it to start with %q", r.Reason, tt.reason)
			}
			if r.Failures[0] != r.Reason || r.Status != 200 || r.Attempts != 1 {
				t.Errorf("result %+v", r)
			}
		})
	}
}

func TestPhasesAndRequest(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(fmt.Sprintf("%s %s %s %s", r.Method, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), b))
		time.Sleep(5 * time.Millisecond)
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	body := filepath.Join(t.TempDir(), "req.json")
	if err := os.WriteFile(body, []byte(`{"inputs":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newProber(t, Check{Request: Request{URL: srv.URL, BodyFile: body, Headers: map[string]string{"Authorization": "Bearer x"}}, Expect: &Expect{}})
	r := p.Run(context.Background())
	if !r.Success {
		t.Fatal(r.Reason)
	}
	if want := `POST Bearer x application/json {"inputs":[]}`; got.Load() != want {
		t.Errorf("request %q, want %q", got.Load(), want)
	}
	ph := r.Phases
	if ph.Connect <= 0 || ph.FirstByte < 5*time.Millisecond || ph.Total < ph.FirstByte || ph.TLS != 0 || ph.DNS != 0 {
		t.Errorf("phases %+v: want connect > 0, first byte ≥ 5ms ≤ total, no TLS, no DNS (an IP address)", ph)
	}
}

// TestRetries: a run retries while attempts fail and passes on the first
// that holds; one that keeps failing reports its last attempt.
func TestRetries(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "{}")
	}))
	defer srv.Close()
	c := Check{Request: Request{URL: srv.URL}, Expect: &Expect{}, Retries: 3, RetryInterval: time.Millisecond}
	if r := newProber(t, c).Run(context.Background()); !r.Success || r.Attempts != 3 {
		t.Errorf("success %v after %d attempts (%s), want success after 3", r.Success, r.Attempts, r.Reason)
	}
	n.Store(-100)
	c.Retries = 2
	r := newProber(t, c).Run(context.Background())
	if r.Success || r.Attempts != 3 || r.Reason != "status 503, want 2xx: warming up" {
		t.Errorf("success %v after %d attempts: %q; want the third attempt's 503", r.Success, r.Attempts, r.Reason)
	}
}

func TestTimeoutAndRefused(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	r := newProber(t, Check{Request: Request{URL: srv.URL, Timeout: 50 * time.Millisecond}, Expect: &Expect{}}).Run(context.Background())
	if r.Success || r.Reason != "no answer within the timeout (50ms)" {
		t.Errorf("reason %q", r.Reason)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	r = newProber(t, Check{Request: Request{URL: url}, Expect: &Expect{}}).Run(context.Background())
	if r.Success || !strings.HasPrefix(r.Reason, "cannot connect: ") || !strings.Contains(r.Reason, "refused") {
		t.Errorf("reason %q, want cannot connect: … refused", r.Reason)
	}
}

// TestTLS: a self-signed server is refused without its CA, trusted with
// ca_file, and its expiry is checked.
func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newProber(t, Check{Request: Request{URL: srv.URL}, Expect: &Expect{}}).Run(context.Background())
	if r.Success || !strings.HasPrefix(r.Reason, "TLS certificate not trusted: ") {
		t.Errorf("without the CA: %q", r.Reason)
	}
	withCA := Request{URL: srv.URL, TLS: TLS{CAFile: ca}}
	r = newProber(t, Check{Request: withCA, Expect: &Expect{CertValidFor: 24 * time.Hour}}).Run(context.Background())
	if !r.Success || r.Phases.TLS <= 0 {
		t.Errorf("with the CA: %q, TLS phase %v", r.Reason, r.Phases.TLS)
	}
	left := time.Until(srv.Certificate().NotAfter)
	r = newProber(t, Check{Request: withCA, Expect: &Expect{CertValidFor: left + 24*time.Hour}}).Run(context.Background())
	if r.Success || !strings.HasPrefix(r.Reason, "certificate of ") || !strings.Contains(r.Reason, "expires "+srv.Certificate().NotAfter.UTC().Format(time.RFC3339)) {
		t.Errorf("expiry: %q", r.Reason)
	}
	skip := Request{URL: srv.URL, TLS: TLS{InsecureSkipVerify: true}}
	if r = newProber(t, Check{Request: skip, Expect: &Expect{}}).Run(context.Background()); !r.Success {
		t.Errorf("insecure_skip_verify: %q", r.Reason)
	}
}

func TestValidate(t *testing.T) {
	neg := -time.Second
	c := Check{Name: "bad name", Retries: 11, Jitter: &neg, Request: Request{URL: "ftp://x", Body: "a", BodyFile: "b"},
		Expect: &Expect{Status: []int{99}, Headers: []HeaderAssertion{{Name: "A", Equals: "x", Matches: "("}},
			JSON: []JSONAssertion{{Path: "$[", Equals: 1}, {Path: "$.a", Min: fp(2), Max: fp(1)}}}}
	want := []string{
		`name "bad name": want letters, digits, '_', '.' or '-'`,
		"jitter -1s: want between 0 and the interval (1m0s)",
		"retries 11: want 0 to 10",
		`request.url "ftp://x": want an http:// or https:// URL`,
		"request.body and request.body_file are mutually exclusive: give one",
		"expect.status 99 is not an HTTP status",
		"expect.headers[0].matches: error parsing regexp: missing closing ): `(`",
		"expect.headers[0]: give exactly one of equals, matches or present, got 2",
		"expect.json[0].path: ",
		"expect.json[1]: min 2 is above max 1",
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	got := strings.Split(err.Error(), "\n")
	if len(got) != len(want) {
		t.Fatalf("errors:\n%s", err)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d: %q, want %q…", i, got[i], want[i])
		}
	}
	if err := (&Check{Name: "x", Request: Request{URL: "http://a"}}).Validate(); err == nil || err.Error() != "give expect (assertions) or golden (a golden set)" {
		t.Errorf("neither: %v", err)
	}
}
