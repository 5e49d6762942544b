package gpu

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		err  string
	}{
		{"zero is auto", Config{}, ""},
		{"dcgm", Config{Source: "dcgm", URL: "http://127.0.0.1:9400/metrics", Interval: 30 * time.Second, Timeout: 2 * time.Second}, ""},
		{"nvidia-smi", Config{Source: "nvidia-smi", NvidiaSMI: "/usr/bin/nvidia-smi"}, ""},
		{"nvml", Config{Source: "nvml"}, ""},
		{"unknown source", Config{Source: "rocm"}, `source: unknown "rocm" (want auto, dcgm, nvidia-smi, nvml, off)`},
		{"dcgm without url", Config{Source: "dcgm"}, "url: required with source dcgm"},
		{"dcgm bad url", Config{Source: "dcgm", URL: "ftp://user:s3cret@host/metrics"}, `url "ftp://user:xxxxx@host/metrics": want http:// or https:// and a host`},
		{"url without dcgm", Config{Source: "nvml", URL: "http://h/metrics"}, "url: only with source dcgm, not nvml"},
		{"every problem", Config{Source: "dcgm", Interval: -time.Second, Timeout: -time.Second},
			"url: required with source dcgm\ninterval: must not be negative, got -1s\ntimeout: must not be negative, got -1s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.err {
				t.Errorf("Validate() = %q, want %q", got, c.err)
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, kind := range SourceKinds() {
		cfg := &Config{Source: kind}
		if kind == SourceDCGM {
			cfg.URL = "http://127.0.0.1:9400/metrics"
		}
		w, err := New(cfg, nil)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if kind == SourceOff {
			if w != nil {
				t.Errorf("source off: a Watcher %v, want nil", w)
			}
			continue
		}
		if got := sourceName(w.src); got != kind {
			t.Errorf("source %s is named %s", kind, got)
		}
		if w.interval != DefaultInterval {
			t.Errorf("interval %v", w.interval)
		}
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	}
	if _, err := New(&Config{Source: "dcgm"}, nil); err == nil || !strings.HasPrefix(err.Error(), "gpu: url: required") {
		t.Errorf("New with a bad config: %v", err)
	}
}

func TestConfigRegisterFlags(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"-gpu-source", "dcgm", "-gpu-dcgm-url", "http://h:9400/metrics", "-gpu-interval", "1m"}); err != nil {
		t.Fatal(err)
	}
	want := Config{Source: "dcgm", URL: "http://h:9400/metrics", Interval: time.Minute}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}
