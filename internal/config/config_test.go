package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/detectors/stream"
)

func TestLoadBadConfigs(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string // exact errors, after "testdata/bad/<file>"
	}{
		{"unknown_top_key.yaml", []string{`:3:1: upstrem: unknown field "upstrem"`}},
		{"unknown_nested_key.yaml", []string{`:8:9: models[1].drift.window.sise: unknown field "sise"`}},
		{"wrong_type.yaml", []string{`:5:15: models[0].drift.window.size: want an integer, got "big"`}},
		{"bad_duration.yaml", []string{`:3:12: proxy.timeout: want a duration such as 30s or 1m30s, got "30 seconds"`}},
		{"bad_size.yaml", []string{`:3:18: proxy.capture_limit: invalid size "1 MiBs" (want bytes, or a whole number with a unit: B, KB, MB, GB, KiB, MiB, GiB)`}},
		{"bad_upstream_url.yaml", []string{`:2:11: upstream: upstream "ftp://models.internal/": scheme must be http or https`}},
		{"missing_upstream.yaml", []string{`:1:1: upstream: required: the URL of the model server, e.g. http://127.0.0.1:8081`}},
		{"bad_protocol.yaml", []string{`:4:17: models[0].payload.protocol: unknown protocol "grpc" (want one of auto, json, mlflow, oip-v2, seldon-v1, tf-serving)`}},
		{"window_no_bound.yaml", []string{`:5:9: models[0].drift.window: window needs a size, a duration or both`}},
		{"reference_both.yaml", []string{`:5:9: models[0].drift.reference: file and first are mutually exclusive`}},
		{"feedback.yaml", []string{
			`:3:9: feedback.task: unknown task "ranking" (want auto, classification or regression)`,
			`:4:8: feedback.ttl: ttl -5m0s is negative`,
		}},
		{"alpha_out_of_range.yaml", []string{`:5:16: models[0].drift.options.alpha: alpha 1.5 is not between 0 and 1`}},
		{"duplicate_match.yaml", []string{`:6:7: models[2].match: same match as models[0] (line 3): this entry is never used`}},
		{"models_not_list.yaml", []string{`:2:9: models: want a list, got a mapping`}},
		{"not_mapping.yaml", []string{`:1:1: want a mapping of settings, got a string`}},
		{"two_documents.yaml", []string{`:2:1: more than one YAML document: want one`}},
		{"empty.yaml", []string{`: empty config: want at least upstream`}},
		{"only_comment.yaml", []string{`: empty config: want at least upstream`}},
		{"tabs.yaml", []string{`:3: found character that cannot start any token`}},
		{"bad_indent.yaml", []string{`:4: mapping values are not allowed in this context`}},
		{"route.yaml", []string{
			`:6:17: route.routes[0].matchers: matcher "model": want name=value, name!=value, name=~regexp or name!~regexp`,
			`:8:17: route.routes[1].receiver: receiver "ml" is not one of the receivers section's names`,
			`:10:23: route.routes[1].routes[0].group_wait: group_wait -1s is negative`,
			`:14:12: inhibit_rules[0].equal: "not-a-label" in equal is not a label name`,
			`:17:14: receivers[0].webhook: webhook url scheme is not http or https`,
			`:18:5: receivers[1]: receiver "pager": give exactly one of webhook, slack, datadog, sentry, pagerduty or console, got 2`,
			`:21:15: receivers[1].fallback: fallback "nowhere" is not one of the receivers section's names`,
			`:24:15: receivers[2].fallback: fallback "local" is the receiver itself: give another receiver`,
			`:27:15: receivers[3].fallback: fallback "b" leads back to "a": fallbacks must not form a cycle`,
			`:30:15: receivers[4].fallback: fallback "a" leads back to "b": fallbacks must not form a cycle`,
		}},
		{"rules.yaml", []string{
			`:5:9: rules[0].op: unknown op "=>" (want >, >=, <, <=, ==, !=)`,
			`:7:11: rules[1].name: rule "drift" is also rules[0] (line 3): names must be unique`,
			`:11:10: rules[1].for: for -5m0s is negative`,
		}},
		{"adversarial.yaml", []string{`:4:18: models[0].adversarial: needs drift.reference.file: the signals are standardised and calibrated on the reference rows`}},
		{"outliers.yaml", []string{
			`:4:15: models[0].outliers: needs drift.reference.file: the scorer is fitted on the reference rows`,
			`:4:24: models[0].outliers.method: unknown outlier method "lof" (want zscore, mahalanobis, iforest or knn)`,
			`:7:21: models[1].outliers.fpr: fpr 1: must be in (0, 1)`,
			`:7:32: models[1].outliers.recent: 0: must be at least 1`,
			`:8:33: models[1].feature_squeezing.sample: 0: must be in (0, 1]`,
			`:8:44: models[1].feature_squeezing.digits: 20: must be 1 to 15`,
			`:8:57: models[1].feature_squeezing.timeout: 0s: must be positive`,
		}},
		{"synthetics.yaml", []string{
			`:3:14: synthetics[0].retries: retries 20: want 0 to 10`,
			`:4:20: synthetics[0].request.url: request.url "ftp://model": want an http:// or https:// URL`,
			`:6:15: synthetics[0].expect.status: expect.status 42 is not an HTTP status`,
			`:7:11: synthetics[1].name: check "predict" is also synthetics[0]: names must be unique`,
			`:9:44: synthetics[1].golden.protocol: golden.protocol "grpc": want oip-v2 or tf-serving`,
			`:10:5: synthetics[2]: give expect (assertions) or golden (a golden set)`,
		}},
		{"several.yaml", []string{
			`:1:9: listen: "localhost" is not host:port`,
			`:3:1: upstream: field "upstream" already set at line 2`,
			`:5:12: proxy.timeout: want a duration such as 30s or 1m30s, got "soon"`,
			`:6:15: proxy.queue_size: 0 is not between 1 and 16777216`,
			`:8:26: models[0].match.path_prefix: "v2" does not start with /`,
			`:9:33: models[0].payload.colour: unknown field "colour"`,
			`:11:15: models[1].drift.window: window step 20 is larger than the window size 10`,
			`:12:24: models[1].drift.options.alpha: alpha 0 is not between 0 and 1`,
			`:12:33: models[1].drift.options.test: unknown test "nope" (want one of auto, anderson, chi2, cvm, fisher, hellinger, js, ks, mmd, psi, wasserstein)`,
			`:13:20: models[1].drift.min_records: 50 is larger than the window size 10`,
		}},
	} {
		t.Run(c.file, func(t *testing.T) {
			file := filepath.Join("testdata", "bad", c.file)
			cfg, errs := Load(file)
			if cfg != nil {
				t.Errorf("got a config with errors")
			}
			var got []string
			for _, e := range errs {
				if _, ok := e.(*Error); !ok {
					t.Errorf("error %v is a %T, want *Error", e, e)
				}
				got = append(got, strings.TrimPrefix(e.Error(), file))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, errs := Load("testdata/nope.yaml")
	if len(errs) != 1 || errs[0].Error() != "testdata/nope.yaml: read config: no such file or directory" {
		t.Errorf("got %v", errs)
	}
}

func TestLoadMinimal(t *testing.T) {
	cfg, errs := Load("testdata/good/minimal.yaml")
	if errs != nil {
		t.Fatal(errs)
	}
	rt, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if rt.Listen != DefaultListen || rt.AdminListen != DefaultAdminListen || rt.QueueSize != DefaultQueueSize {
		t.Errorf("listen %q, admin %q, queue %d: want the defaults", rt.Listen, rt.AdminListen, rt.QueueSize)
	}
	if rt.Proxy.Upstream != "http://127.0.0.1:8081" || rt.Proxy.Timeout != 30*time.Second || rt.Proxy.CaptureLimit != 1<<20 {
		t.Errorf("proxy %+v", rt.Proxy)
	}
	if len(rt.Models) != 1 {
		t.Fatalf("%d models, want the default one", len(rt.Models))
	}
	m := rt.Models[0]
	if !m.Match.Match("/anything") || m.Decoder == nil || m.ReferenceFile != "" {
		t.Errorf("default model %+v", m)
	}
	want := drift.MonitorConfig{
		Window:         stream.WindowConfig{Size: DefaultWindowSize, Mode: stream.Tumbling},
		Options:        drift.LiveOptions(),
		ReferenceFirst: DefaultReferenceFirst,
	}
	if !equalMonitor(m.Drift, want) {
		t.Errorf("drift %+v, want %+v", m.Drift, want)
	}
	if err := m.Drift.Validate(); err != nil {
		t.Errorf("compiled monitor config does not validate: %v", err)
	}
}

func equalMonitor(a, b drift.MonitorConfig) bool {
	ao, bo := a.Options, b.Options
	ao.Thresholds, bo.Thresholds = nil, nil
	a.Options, b.Options = drift.Options{}, drift.Options{}
	return a.Window == b.Window && a.ReferenceFirst == b.ReferenceFirst && a.Features == b.Features &&
		a.Predictions == b.Predictions && a.MinRecords == b.MinRecords && a.MaxColumns == b.MaxColumns &&
		ao.Test == bo.Test && ao.Alpha == bo.Alpha && ao.Correction == bo.Correction &&
		ao.MinEffect == bo.MinEffect && ao.DriftShare == bo.DriftShare && ao.Permutations == bo.Permutations &&
		ao.Seed == bo.Seed && ao.MMDMaxRows == bo.MMDMaxRows && ao.MMDStandardize == bo.MMDStandardize
}

func TestLoadFull(t *testing.T) {
	cfg, errs := Load("testdata/good/full.yaml")
	if errs != nil {
		t.Fatal(errs)
	}
	rt, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if rt.Listen != "127.0.0.1:8080" || rt.AdminListen != "127.0.0.1:9090" || rt.QueueSize != 5000 {
		t.Errorf("runtime %+v", rt)
	}
	p := rt.Proxy
	if p.CaptureLimit != 2<<20 || p.Timeout != 15*time.Second || !p.RewriteHost || p.MaxIdleConns != 64 {
		t.Errorf("proxy %+v", p)
	}
	if len(rt.Models) != 4 {
		t.Fatalf("%d models, want 4", len(rt.Models))
	}
	iris := rt.Models[0]
	if iris.Payload.Protocol != "oip-v2" || len(iris.Payload.FeatureNames) != 4 || iris.Payload.MaxBodyBytes != 1<<20 {
		t.Errorf("iris payload %+v", iris.Payload)
	}
	if want := filepath.Join("testdata", "good", "ref.csv"); iris.ReferenceFile != want {
		t.Errorf("reference file %q, want %q (relative to the config)", iris.ReferenceFile, want)
	}
	wantIris := drift.MonitorConfig{
		Window: stream.WindowConfig{Size: 10000, Mode: stream.Tumbling},
		Options: drift.Options{Test: "ks", Alpha: 0.01, Correction: "bonferroni", MinEffect: 0.05,
			DriftShare: 0.5, Permutations: 50, Seed: 7, MMDMaxRows: 300, MMDStandardize: true},
		Features: true, Predictions: true, MinRecords: 500, MaxColumns: 64,
	}
	if !equalMonitor(iris.Drift, wantIris) || iris.Drift.Options.Thresholds["psi"] != 0.25 {
		t.Errorf("iris drift %+v", iris.Drift)
	}
	wine := rt.Models[1]
	wantWine := drift.MonitorConfig{
		// The window replaces the default whole; options keep the defaults.
		Window:         stream.WindowConfig{Duration: 10 * time.Minute, Mode: stream.Sliding, StepDuration: time.Minute, MaxRecords: 20000},
		Options:        drift.LiveOptions(),
		ReferenceFirst: 2000,
	}
	if !equalMonitor(wine.Drift, wantWine) || wine.ReferenceFile != "" {
		t.Errorf("wine drift %+v", wine.Drift)
	}
	for _, c := range []struct {
		path string
		want int // index in rt.Models
	}{
		{"/v2/models/iris/versions/3/infer", 0},
		{"/v1/models/wine:predict", 1},
		{"/v2/models/wine/infer", 1},
		{"/score", 2},
		{"/v2/models/other/infer", 3},
	} {
		if got := rt.Select(c.path); got != rt.Models[c.want] {
			t.Errorf("Select(%q) = %+v, want models[%d]", c.path, got, c.want)
		}
	}
}

// TestAliases checks that anchors and aliases work and that an alias bomb
// costs an error, not memory.
func TestAliases(t *testing.T) {
	good := "upstream: http://x:1\nmodels:\n  - match: {model: a}\n    drift: &d {window: {size: 50}}\n  - match: {model: b}\n    drift: *d\n"
	cfg, errs := Parse("a.yaml", []byte(good))
	if errs != nil {
		t.Fatal(errs)
	}
	if cfg.Models[1].Drift.Window.Size != 50 {
		t.Errorf("alias not followed: %+v", cfg.Models[1].Drift)
	}
	// Aliases to a list of lists of strings, where a list of strings is
	// wanted: one error per element of the outer list, positioned at the
	// value the alias names (its anchor).
	bomb := "upstream: http://x:1\nmodels:\n  - match: {model: &s [a, b]}\n    payload: {feature_names: [*s, *s]}\n"
	_, errs = Parse("bomb.yaml", []byte(bomb))
	want := []string{
		`bomb.yaml:3:20: models[0].match.model: want a string, got a list`,
		`bomb.yaml:3:20: models[0].payload.feature_names[0]: want a string, got a list`,
		`bomb.yaml:3:20: models[0].payload.feature_names[1]: want a string, got a list`,
	}
	if got := errorStrings(errs); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestTooManyValues checks the bound on the values walked.
func TestTooManyValues(t *testing.T) {
	names := strings.Repeat("x,", maxNodes)
	data := "upstream: http://x:1\nmodels: [{payload: {feature_names: [" + names + "x]}}]\n"
	_, errs := Parse("big.yaml", []byte(data))
	// The nodes before the list's elements: the document's mapping,
	// upstream, models, models[0], payload and feature_names.
	i := maxNodes - 6
	col := len("models: [{payload: {feature_names: [") + 2*i + 1
	want := fmt.Sprintf("big.yaml:2:%d: models[0].payload.feature_names[%d]: more than %d values, aliases expanded: the file is too complex",
		col, i, maxNodes)
	if got := errorStrings(errs); len(got) != 1 || got[0] != want {
		t.Errorf("errors %q, want %q", got, want)
	}
}

func errorStrings(errs []error) []string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	return s
}

func TestParseSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Size
		ok   bool
	}{
		{"0", 0, true}, {"1024", 1024, true}, {"1B", 1, true}, {"64KiB", 64 << 10, true},
		{"1 MiB", 1 << 20, true}, {"2GiB", 2 << 30, true}, {"3kB", 3000, true}, {"3KB", 3000, true},
		{"5MB", 5e6, true}, {"1GB", 1e9, true},
		{"", 0, false}, {"MiB", 0, false}, {"1.5MiB", 0, false}, {"-1MiB", 0, false},
		{"1mib", 0, false}, {"1 MiBs", 0, false}, {"99999999999GiB", 0, false},
	} {
		got, err := ParseSize(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
	if s := Size(1 << 20).String(); s != "1MiB" {
		t.Errorf("String = %q", s)
	}
	// An integer, negative included, is bytes.
	cfg, errs := Parse("n.yaml", []byte("upstream: http://x:1\nproxy: {capture_limit: -1}\n"))
	if errs != nil || cfg.Proxy.CaptureLimit != -1 {
		t.Errorf("capture_limit -1: %v %v", cfg, errs)
	}
}

func TestErrorFormat(t *testing.T) {
	for _, c := range []struct {
		e    Error
		want string
	}{
		{Error{File: "f.yaml", Line: 3, Col: 5, Path: "a.b", Msg: "bad"}, "f.yaml:3:5: a.b: bad"},
		{Error{File: "f.yaml", Line: 3, Msg: "bad"}, "f.yaml:3: bad"},
		{Error{File: "f.yaml", Msg: "bad"}, "f.yaml: bad"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestFeedbackOnWhenPresent(t *testing.T) {
	for _, c := range []struct {
		yaml string
		on   bool
	}{
		{"upstream: http://127.0.0.1:1\n", false},
		{"upstream: http://127.0.0.1:1\nfeedback: {}\n", true},
		{"upstream: http://127.0.0.1:1\nfeedback: {ttl: 5m}\n", true},
	} {
		cfg, errs := Parse("f.yaml", []byte(c.yaml))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		rt, err := cfg.Compile()
		if err != nil {
			t.Fatal(err)
		}
		if on := rt.Feedback != nil; on != c.on {
			t.Errorf("%q: feedback on = %v, want %v", c.yaml, on, c.on)
		}
	}
}

func TestOverrides(t *testing.T) {
	data := []byte("upstream: http://127.0.0.1:1\nlisten: 127.0.0.1:2\n")
	cfg, errs := ParseWith("f.yaml", data, Overrides{Upstream: "http://127.0.0.1:9", AdminListen: "127.0.0.1:3"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if cfg.Upstream != "http://127.0.0.1:9" || cfg.Listen != "127.0.0.1:2" || cfg.AdminListen != "127.0.0.1:3" {
		t.Errorf("got upstream %q listen %q admin %q", cfg.Upstream, cfg.Listen, cfg.AdminListen)
	}

	// No file: defaults plus the flags.
	cfg, errs = LoadWith("", Overrides{Upstream: "http://127.0.0.1:9"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if cfg.Listen != DefaultListen || len(cfg.Models) != 1 {
		t.Errorf("got listen %q, %d models; want the defaults", cfg.Listen, len(cfg.Models))
	}

	// A bad flag value is reported against the flag, not the file.
	_, errs = ParseWith("f.yaml", data, Overrides{Upstream: "ftp://x", Listen: "nope"})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`command line: --listen: "nope" is not host:port`,
		`command line: --upstream: `,
	}
	if len(got) != len(want) {
		t.Fatalf("got errors %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("error %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
}
