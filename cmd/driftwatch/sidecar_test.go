package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/testenv"
)

func TestSilenceUsage(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"silence"}, exitUsage, "", "Usage:"},
		{[]string{"silence", "--help"}, exitOK, "driftwatch silence add", ""},
		{[]string{"silence", "mute"}, exitUsage, "", `unknown subcommand "mute"`},
		{[]string{"silence", "add", "--help"}, exitOK, "--matcher", ""},
		{[]string{"silence", "add", "--ends", "tomorrow"}, exitUsage, "", `--ends "tomorrow": want RFC 3339`},
		{[]string{"silence", "add", "--admin", "nope", "--matcher", "a=b"}, exitUsage, "", `--admin "nope": want a URL`},
		{[]string{"silence", "expire"}, exitUsage, "", "give the silence ID"},
		{[]string{"silence", "list", "--admin", "http://127.0.0.1:1"}, exitFailed, "", "is the sidecar running"},
	} {
		var o, e bytes.Buffer
		if code := run(c.args, &o, &e); code != c.code || !strings.Contains(o.String(), c.stdout) || !strings.Contains(e.String(), c.stderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q, %q", c.args, code, o.String(), e.String(), c.code, c.stdout, c.stderr)
		}
	}
}

func TestSidecarUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("upstream: ftp://x\nproxy:\n  timout: 3s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"help", []string{"sidecar", "--help"}, exitOK, "/api/v1/feedback", ""},
		{"nothing to proxy", []string{"sidecar"}, exitUsage, "", "give --config FILE, or at least --upstream URL"},
		{"bad flag", []string{"sidecar", "--upstrem", "x"}, exitUsage, "", "flag provided but not defined: -upstrem"},
		{"bad log format", []string{"sidecar", "--upstream", "http://127.0.0.1:1", "--log-format", "xml"}, exitUsage, "", `--log-format "xml"`},
		{"bad config", []string{"sidecar", "--config", bad}, exitUsage, "", bad + ":3:3: proxy.timout: unknown field"},
		{"bad flag value", []string{"sidecar", "--upstream", "ftp://x", "--listen", "nope"}, exitUsage, "", `command line: --listen: "nope" is not host:port`},
		{"missing config", []string{"sidecar", "--config", filepath.Join(dir, "none.yaml")}, exitUsage, "", "none.yaml: read config"},
		{"port taken", []string{"sidecar", "--upstream", "http://127.0.0.1:1", "--listen", "127.0.0.1:0", "--admin-listen", takenAddr(t)}, exitFailed, "", "admin listener:"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o, e bytes.Buffer
			if code := run(c.args, &o, &e); code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, e.String())
			}
			if !strings.Contains(o.String(), c.stdout) {
				t.Errorf("stdout %q lacks %q", o.String(), c.stdout)
			}
			if !strings.Contains(e.String(), c.stderr) {
				t.Errorf("stderr %q lacks %q", e.String(), c.stderr)
			}
		})
	}
}

// takenAddr returns the address of a listener that stays open during the
// test.
func takenAddr(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestSidecarRuns runs the command until its context is cancelled, as
// SIGTERM does, with a request proxied in between.
func TestSidecarRuns(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"outputs":[{"name":"y","datatype":"FP64","shape":[1],"data":[0.5]}]}`)
	}))
	defer upstream.Close()
	listen := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	admin := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	old := signalContext
	signalContext = func() (context.Context, context.CancelFunc) { return ctx, cancel }
	defer func() { signalContext = old }()

	var o, e syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run([]string{"sidecar", "--upstream", upstream.URL, "--listen", listen, "--admin-listen", admin, "--log-format", "json"}, &o, &e)
	}()
	waitReady(t, "http://"+admin+"/readyz", done, &e)

	resp, err := http.Post("http://"+listen+"/v2/models/m/infer", "application/json",
		strings.NewReader(`{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[1]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"data":[0.5]`) {
		t.Errorf("through the sidecar: %d %s", resp.StatusCode, body)
	}

	// Silences through the command, against this sidecar.
	adminURL := "http://" + admin
	var so, se bytes.Buffer
	if code := run([]string{"silence", "add", "--admin", adminURL, "--matcher", "alertname=model_drift", "--matcher", `model=~"iris|wine"`,
		"--duration", "2h", "--author", "ana", "--comment", "retraining"}, &so, &se); code != exitOK {
		t.Fatalf("silence add: exit %d: %s", code, se.String())
	}
	id := strings.TrimSpace(so.String())
	so.Reset()
	if code := run([]string{"silence", "list", "--admin", adminURL}, &so, &se); code != exitOK ||
		!strings.Contains(so.String(), id+"  active") || !strings.Contains(so.String(), `alertname=model_drift model=~"iris|wine"`) {
		t.Errorf("silence list: exit %d, stdout %q, stderr %q", code, so.String(), se.String())
	}
	so.Reset()
	if code := run([]string{"silence", "expire", id, "--admin", adminURL}, &so, &se); code != exitOK || so.String() != "expired "+id+"\n" {
		t.Errorf("silence expire: exit %d, stdout %q, stderr %q", code, so.String(), se.String())
	}
	se.Reset()
	if code := run([]string{"silence", "expire", "nope", "--admin", adminURL}, &so, &se); code != exitFailed || !strings.Contains(se.String(), `404 Not Found: no silence "nope"`) {
		t.Errorf("silence expire nope: exit %d, stderr %q", code, se.String())
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after stop, want 0; stderr: %s", code, e.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sidecar did not stop within 30 s of its context ending")
	}
	if !strings.Contains(e.String(), `"msg":"sidecar stopped"`) {
		t.Errorf("logs lack the stop: %s", e.String())
	}
}

func waitReady(t *testing.T, url string, done <-chan int, stderr *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("sidecar exited with %d before it was ready: %s", code, stderr.String())
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sidecar not ready within 30 s: %s", stderr.String())
}

// syncBuffer is a bytes.Buffer safe for the sidecar's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
