package notify

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	soon := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	far := time.Now().Add(24 * time.Hour).UTC().Format(http.TimeFormat)
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		name       string
		status     int
		retryAfter string
		body       string
		wantNil    bool
		retryable  bool
		minAfter   time.Duration
		maxAfter   time.Duration
		reason     string
	}{
		{name: "200", status: 200, wantNil: true},
		{name: "204", status: 204, wantNil: true},
		{name: "302", status: 302, reason: ""},
		{name: "400 with body", status: 400, body: `{"error":"invalid_payload"}`, reason: `{"error":"invalid_payload"}`},
		{name: "404", status: 404, body: "no_service", reason: "no_service"},
		{name: "408", status: 408, retryable: true, reason: ""},
		{name: "413", status: 413, body: "too big", reason: "too big"},
		{name: "429 without Retry-After", status: 429, retryable: true, reason: ""},
		{name: "429 Retry-After seconds", status: 429, retryAfter: "7", retryable: true, minAfter: 7 * time.Second, maxAfter: 7 * time.Second},
		{name: "429 Retry-After date", status: 429, retryAfter: soon, retryable: true, minAfter: 25 * time.Second, maxAfter: 30 * time.Second},
		{name: "429 Retry-After capped seconds", status: 429, retryAfter: "86400", retryable: true, minAfter: MaxRetryAfter, maxAfter: MaxRetryAfter},
		{name: "429 Retry-After capped date", status: 429, retryAfter: far, retryable: true, minAfter: MaxRetryAfter, maxAfter: MaxRetryAfter},
		{name: "429 Retry-After in the past", status: 429, retryAfter: past, retryable: true},
		{name: "429 Retry-After garbage", status: 429, retryAfter: "soon", retryable: true},
		{name: "500", status: 500, body: "boom", retryable: true, reason: "boom"},
		{name: "503 Retry-After", status: 503, retryAfter: "2", retryable: true, minAfter: 2 * time.Second, maxAfter: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
			if tt.retryAfter != "" {
				resp.Header.Set("Retry-After", tt.retryAfter)
			}
			err := Classify(resp, []byte(tt.body))
			if tt.wantNil {
				if err != nil {
					t.Fatalf("Classify = %v, want nil", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Classify = %v, want *Error", err)
			}
			if e.Status != tt.status || e.Retryable != tt.retryable {
				t.Errorf("status, retryable = %d, %t; want %d, %t", e.Status, e.Retryable, tt.status, tt.retryable)
			}
			if e.RetryAfter < tt.minAfter || e.RetryAfter > tt.maxAfter {
				t.Errorf("RetryAfter = %s, want in [%s, %s]", e.RetryAfter, tt.minAfter, tt.maxAfter)
			}
			if e.Reason != tt.reason {
				t.Errorf("Reason = %q, want %q", e.Reason, tt.reason)
			}
			if ok, after := Retryable(err); ok != tt.retryable || after != e.RetryAfter {
				t.Errorf("Retryable = %t, %s", ok, after)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Retryable: true, RetryAfter: 7 * time.Second, Status: 429, Reason: "rate_limited"}
	if got, want := e.Error(), "status 429 Too Many Requests (retryable, retry after 7s): rate_limited"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e = &Error{Status: 400}
	if got, want := e.Error(), "status 400 Bad Request (permanent)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	inner := errors.New("connection refused")
	e = &Error{Retryable: true, Err: inner}
	if got, want := e.Error(), "delivery failed (retryable): connection refused"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, inner) {
		t.Error("Error does not unwrap to Err")
	}
}

func TestSnippet(t *testing.T) {
	f := func(body, want string) {
		t.Helper()
		if got := snippet([]byte(body)); got != want {
			t.Errorf("snippet(%q) = %q, want %q", body, got, want)
		}
	}
	f("", "")
	f("ok", "ok")
	f("  a\n\n\tb\x00c\r\n", "a b c")
	f("\xff\xfebad", "??bad")
	f(strings.Repeat("x", 300), strings.Repeat("x", maxReason)+"…")
	f(strings.Repeat("é", 200), strings.Repeat("é", maxReason/2)+"…")
}

func TestClassifyTransport(t *testing.T) {
	// A closed port on 127.0.0.1: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/hook/SeCrEtPaThToKeN0123456789?token=qS3cretQueryValue"
	l.Close()

	// A server that resets the connection.
	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	}))
	defer reset.Close()

	// A server that hangs until the client gives up.
	done := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer hang.Close()
	defer close(done)

	tests := []struct {
		name      string
		url       string
		ctx       func() (context.Context, context.CancelFunc)
		retryable bool
		canceled  bool
	}{
		{name: "refused", url: closed, retryable: true},
		{name: "reset", url: reset.URL + "/x?token=qS3cretQueryValue", retryable: true},
		{name: "deadline", url: hang.URL + "/x?token=qS3cretQueryValue", retryable: true,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 50*time.Millisecond)
			}},
		{name: "canceled", url: hang.URL + "/x?token=qS3cretQueryValue", canceled: true,
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx, cancel
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if tt.ctx != nil {
				ctx, cancel = tt.ctx()
			}
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tt.url, strings.NewReader("{}"))
			resp, err := http.DefaultClient.Do(req)
			Drain(resp)
			if err == nil {
				t.Fatal("Do succeeded")
			}
			got := ClassifyTransport(err)
			if tt.canceled {
				if got != context.Canceled {
					t.Fatalf("ClassifyTransport = %v, want context.Canceled", got)
				}
			}
			if ok, _ := Retryable(got); ok != tt.retryable {
				t.Errorf("Retryable(%v) = %t, want %t", got, ok, tt.retryable)
			}
			for _, s := range []string{"SeCrEtPaThToKeN0123456789", "qS3cretQueryValue"} {
				if strings.Contains(got.Error(), s) {
					t.Errorf("error %q contains secret %q", got, s)
				}
			}
			switch tt.name {
			case "refused":
				if !errors.Is(got, syscall.ECONNREFUSED) {
					t.Errorf("error %v is not ECONNREFUSED", got)
				}
			case "deadline":
				if !errors.Is(got, context.DeadlineExceeded) {
					t.Errorf("error %v is not DeadlineExceeded", got)
				}
			case "reset":
				if !errors.Is(got, syscall.ECONNRESET) && !errors.Is(got, io.EOF) {
					t.Errorf("error %v is neither ECONNRESET nor EOF", got)
				}
			}
		})
	}
	if ClassifyTransport(nil) != nil {
		t.Error("ClassifyTransport(nil) != nil")
	}
}

func TestRetryableUnclassified(t *testing.T) {
	if ok, _ := Retryable(nil); ok {
		t.Error("nil is retryable")
	}
	if ok, _ := Retryable(context.Canceled); ok {
		t.Error("context.Canceled is retryable")
	}
	if ok, _ := Retryable(errors.New("x")); !ok {
		t.Error("an unclassified error is not retryable")
	}
}
