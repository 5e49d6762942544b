package proxy

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for none
	}{
		{"ok", Config{Upstream: "http://127.0.0.1:8080"}, ""},
		{"ok https with path", Config{Upstream: "https://model:8443/base"}, ""},
		{"missing upstream", Config{}, "upstream: required"},
		{"bad scheme", Config{Upstream: "ftp://x"}, "scheme must be http or https"},
		{"no host", Config{Upstream: "http:///x"}, "no host"},
		{"query", Config{Upstream: "http://x/?a=1"}, "query or fragment"},
		{"negative timeout", Config{Upstream: "http://x", Timeout: -time.Second}, "must not be negative"},
		{"negative idle conns", Config{Upstream: "http://x", MaxIdleConns: -1}, "must not be negative"},
		{"negative capture limit disables capture", Config{Upstream: "http://x", CaptureLimit: -1}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := c.cfg
			err := c.cfg.Validate()
			if c.cfg != before {
				t.Error("Validate changed the config")
			}
			switch {
			case c.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestValidateRedactsPassword(t *testing.T) {
	for _, u := range []string{"ftp://user:hunter2@host", "http://user:hunter2@/path", "http://user:hunter2@host/?q"} {
		err := (&Config{Upstream: u}).Validate()
		if err == nil {
			t.Fatalf("%s: no error", u)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

func TestRegisterFlags(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("sidecar", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if c.CaptureLimit != DefaultCaptureLimit || c.Timeout != DefaultTimeout || c.MaxIdleConns != DefaultMaxIdleConns {
		t.Errorf("defaults not set: %+v", c)
	}
	err := fs.Parse([]string{"-upstream", "http://127.0.0.1:9000", "-capture-limit", "2048",
		"-upstream-timeout", "2s", "-rewrite-host", "-upstream-max-idle-conns", "8"})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Upstream: "http://127.0.0.1:9000", CaptureLimit: 2048, Timeout: 2 * time.Second, RewriteHost: true, MaxIdleConns: 8}
	if c != want {
		t.Errorf("parsed %+v, want %+v", c, want)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{Upstream: "nope://x"}, nil); err == nil || !strings.HasPrefix(err.Error(), "proxy config: ") {
		t.Errorf("New error %v", err)
	}
}
