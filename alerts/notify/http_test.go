package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	pathToken  = "SeCrEtPaThToKeN0123456789"
	queryToken = "qS3cretQueryValue"
)

func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{pathToken, queryToken} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q contains secret %q", err, s)
		}
	}
}

func TestPostJSON(t *testing.T) {
	var got struct {
		A int `json:"a"`
	}
	var header http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		header = r.Header.Clone()
		switch r.URL.Query().Get("case") {
		case "echo":
			// A receiver that echoes the URL it was called on.
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, "bad request to "+r.URL.String())
		case "big":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, strings.Repeat("y", 1<<20))
		case "429":
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
				w.WriteHeader(http.StatusBadRequest)
			}
		}
	}))
	defer srv.Close()
	base := srv.URL + "/hook/" + pathToken + "?token=" + queryToken
	ctx := context.Background()

	t.Run("ok", func(t *testing.T) {
		h := http.Header{"Idempotency-Key": {"k1"}}
		if err := PostJSON(ctx, srv.Client(), Secret(base), h, map[string]int{"a": 3}); err != nil {
			t.Fatal(err)
		}
		if got.A != 3 {
			t.Errorf("server got %+v", got)
		}
		if header.Get("Content-Type") != "application/json" || header.Get("Idempotency-Key") != "k1" || header.Get("User-Agent") != UserAgent {
			t.Errorf("headers = %v", header)
		}
	})
	t.Run("body echoes url", func(t *testing.T) {
		err := PostJSON(ctx, nil, Secret(base+"&case=echo"), nil, 1)
		var e *Error
		if !errors.As(err, &e) || e.Retryable || e.Status != 400 {
			t.Fatalf("err = %v", err)
		}
		assertNoSecret(t, err)
		if !strings.Contains(e.Reason, "bad request to /hook/<redacted>") {
			t.Errorf("Reason = %q", e.Reason)
		}
	})
	t.Run("big answer", func(t *testing.T) {
		err := PostJSON(ctx, nil, Secret(base+"&case=big"), nil, 1)
		var e *Error
		if !errors.As(err, &e) || len(e.Reason) > maxReason+len("…") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("429", func(t *testing.T) {
		err := PostJSON(ctx, nil, Secret(base+"&case=429"), nil, 1)
		if ok, after := Retryable(err); !ok || after != 7*time.Second {
			t.Fatalf("Retryable(%v) = %t, %s", err, ok, after)
		}
	})
	t.Run("refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u := "http://" + l.Addr().String() + "/hook/" + pathToken + "?token=" + queryToken
		l.Close()
		err = PostJSON(ctx, nil, Secret(u), nil, 1)
		if ok, _ := Retryable(err); !ok {
			t.Fatalf("Retryable(%v) = false", err)
		}
		assertNoSecret(t, err)
	})
	t.Run("bad url", func(t *testing.T) {
		err := PostJSON(ctx, nil, Secret("http://h/"+pathToken+"\x7f?token="+queryToken), nil, 1)
		if err == nil {
			t.Fatal("no error")
		}
		assertNoSecret(t, err)
		if ok, _ := Retryable(err); ok {
			t.Error("a bad URL is retryable")
		}
	})
	t.Run("unsupported scheme", func(t *testing.T) {
		err := PostJSON(ctx, nil, Secret("ftp://h/"+pathToken+"?token="+queryToken), nil, 1)
		if err == nil {
			t.Fatal("no error")
		}
		assertNoSecret(t, err)
	})
	t.Run("unmarshalable", func(t *testing.T) {
		if err := PostJSON(ctx, nil, Secret(base), nil, func() {}); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestDrainNil(t *testing.T) {
	Drain(nil)
	Drain(&http.Response{})
}
