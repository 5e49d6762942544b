package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func checkConfig(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(append([]string{"check-config"}, args...), &o, &e)
	return code, o.String(), e.String()
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "upstream: http://127.0.0.1:8081\n")
	bad := write("bad.yaml", `upstream: ftp://x
proxy:
  timeout: soon
models:
  - drift:
      options: {alpha: 2}
      windw: {size: 10}
`)

	t.Run("valid", func(t *testing.T) {
		code, out, errOut := checkConfig(t, good)
		if code != exitOK || out != good+": ok\n" || errOut != "" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		code, out, errOut := checkConfig(t, bad)
		want := []string{
			bad + `:1:11: upstream: upstream "ftp://x": scheme must be http or https`,
			bad + `:3:12: proxy.timeout: want a duration such as 30s or 1m30s, got "soon"`,
			bad + `:6:24: models[0].drift.options.alpha: alpha 2 is not between 0 and 1`,
			bad + `:7:7: models[0].drift.windw: unknown field "windw"`,
		}
		if code != exitInvalid || out != strings.Join(want, "\n")+"\n" || errOut != "" {
			t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errOut, out, strings.Join(want, "\n"))
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		missing := filepath.Join(dir, "missing.yaml")
		code, out, errOut := checkConfig(t, missing)
		if code != exitUsage || out != "" || errOut != "driftwatch check-config: read "+missing+": no such file or directory\n" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})
	t.Run("no file", func(t *testing.T) {
		if code, _, errOut := checkConfig(t); code != exitUsage || !strings.Contains(errOut, "want one FILE") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("help", func(t *testing.T) {
		code, out, _ := checkConfig(t, "--help")
		if code != exitOK || !strings.Contains(out, "Exit status: 0 valid, 1 invalid configuration, 2 usage error") {
			t.Errorf("exit %d, help %q", code, out)
		}
	})
}
