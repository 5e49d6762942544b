package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/driftwatch/driftwatch/"

// allowed maps a package path prefix (relative to the module) to the project
// package prefixes it may import. The longest matching prefix wins; a
// package that matches no entry may import nothing of the project, and
// nothing may import cmd/. See ../shared/STYLE.md "the direction of imports".
var allowed = map[string][]string{
	"internal/obs":      {},
	"internal/archtest": {},
	"collectors/":       {"internal/obs"},
	"detectors/stream":  {"internal/obs"},
	"detectors/":        {"internal/obs", "detectors/stream"},
	// the attack harness drives the adversarial detector it tests
	"detectors/adversarial/attack": {"internal/obs", "detectors/adversarial"},
	"detectors":                    {"internal/obs", "detectors/"},
	"internal/report":              {"internal/obs", "detectors/drift"},
	"alerts/alert":                 {"internal/obs"},
	"alerts/rules":                 {"internal/obs", "alerts/alert", "internal/store"},
	"alerts/route":                 {"internal/obs", "alerts/alert", "internal/store"},
	"alerts/outbox":                {"internal/obs", "alerts/alert", "internal/store"},
	"alerts/notify":                {"internal/obs", "alerts/alert", "alerts/outbox"},
	"alerts/notify/":               {"internal/obs", "alerts/alert", "alerts/notify"},
	"alerts/notify/notifytest":     {"internal/obs", "alerts/alert", "alerts/notify"},
	"alerts/notify/receivers":      {"internal/obs", "alerts/alert", "alerts/notify"},
	"synthetics":                   {"internal/obs", "collectors/payload"},
	"internal/store":               {"internal/obs"},
	"internal/api":                 {"internal/obs"},
	// config composes the Config types of every component (DESIGN.md).
	"internal/config": {"internal/obs", "collectors/", "detectors/", "detectors", "alerts/", "synthetics"},
	"dashboards/":     {"internal/obs", "internal/api"},
	// the plugin's binary and the generator are wired like cmd
	"dashboards/plugin/cmd/": {"dashboards/plugin"},
	"dashboards/cmd/":        {"dashboards"},
	"cmd/":                   {""}, // everything
	// sidecar is the wiring that `driftwatch sidecar` and `demo` share:
	// it connects the stages as cmd does, and nothing imports it but cmd.
	"internal/sidecar": {""},
	"internal/demo":    {""}, // the demo runs the sidecar; only cmd imports it
	"bench/":           {""}, // benchmark programs, wired like cmd
}

// receiversMayImportNotifiers: only alerts/notify/receivers imports the
// individual notifier packages.
func permitted(from, to string) bool {
	if strings.HasPrefix(to, "cmd/") || to == "internal/demo" && !strings.HasPrefix(from, "cmd/") ||
		to == "internal/sidecar" && !strings.HasPrefix(from, "cmd/") && from != "internal/demo" {
		return false
	}
	if from == "alerts/notify/receivers" && strings.HasPrefix(to, "alerts/notify/") {
		return true
	}
	rule, best := []string(nil), -1
	for prefix, r := range allowed {
		if matches(from, prefix) && len(prefix) > best {
			rule, best = r, len(prefix)
		}
	}
	for _, p := range rule {
		if matches(to, p) {
			return true
		}
	}
	return false
}

// matches reports whether pkg is prefix itself, or, for a prefix ending in
// "/", any package below it.
func matches(pkg, prefix string) bool {
	if prefix == "" {
		return true
	}
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(pkg, prefix)
	}
	return pkg == prefix
}

type listed struct {
	ImportPath string
	Imports    []string
}

func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	n := 0
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
		from := strings.TrimPrefix(p.ImportPath, module)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			if to := strings.TrimPrefix(imp, module); !permitted(from, to) {
				t.Errorf("%s imports %s: not allowed by the data flow (DESIGN.md)", from, to)
			}
		}
	}
	if n < 3 {
		t.Fatalf("go list found only %d packages", n)
	}
}

func TestPermitted(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     bool
	}{
		{"detectors/drift", "internal/obs", true},
		{"detectors/drift", "collectors/dataset", false},
		{"detectors/outlier", "detectors/stream", true},
		{"detectors/outlier", "detectors/drift", false},
		{"collectors/dataset", "detectors/drift", false},
		{"alerts/notify/slack", "alerts/notify", true},
		{"alerts/notify/slack", "alerts/notify/webhook", false},
		{"alerts/notify/receivers", "alerts/notify/slack", true},
		{"cmd/driftwatch", "collectors/dataset", true},
		{"internal/report", "cmd/driftwatch", false},
		{"internal/obs", "detectors/drift", false},
	} {
		if got := permitted(c.from, c.to); got != c.want {
			t.Errorf("permitted(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
