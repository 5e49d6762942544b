package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/driftwatch/driftwatch/alerts/notify/receivers"
	"github.com/driftwatch/driftwatch/alerts/route"
	"github.com/driftwatch/driftwatch/alerts/rules"
	"github.com/driftwatch/driftwatch/collectors/gpu"
	"github.com/driftwatch/driftwatch/collectors/payload"
	"github.com/driftwatch/driftwatch/collectors/proxy"
	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/detectors/performance"
	"github.com/driftwatch/driftwatch/synthetics"
)

// Runtime is a configuration compiled into the objects the sidecar runs
// with; nothing on the request path reads the YAML structs.
type Runtime struct {
	Listen, AdminListen string
	// StateFile is absolute, or relative to the working directory; ""
	// means none was configured.
	StateFile string
	Proxy     proxy.Config
	QueueSize int
	// Models in the file's order; Select returns the first that matches.
	Models []*Model
	// Feedback is nil when the file has no feedback section.
	Feedback *performance.Config
	Rules    []rules.Rule
	// Route is the compiled routing tree, nil without a route section;
	// Inhibitor is nil without inhibit rules.
	Route     *route.Route
	Inhibitor *route.Inhibitor
	Receivers []receivers.Config
	// Synthetics are the checks, with their files (request.body_file,
	// golden.file, tls.ca_file) relative to SyntheticsDir.
	Synthetics    []synthetics.Check
	SyntheticsDir string
	GPU           gpu.Config
}

// Model is one compiled model entry.
type Model struct {
	Match   Matcher
	Payload payload.Config
	Decoder payload.Decoder
	// Drift is the template of the monitor of each version of the model;
	// the caller sets Model and Version, and Reference when
	// ReferenceFile is set (Drift.Reference is then nil).
	Drift         drift.MonitorConfig
	ReferenceFile string // absolute, or relative to the working directory
	// ReferenceIgnore names columns of ReferenceFile to leave out.
	ReferenceIgnore []string
	// Adversarial is nil when the per-client signals are off.
	Adversarial *AdversarialConfig
	// Outliers is nil when outlier scoring is off.
	Outliers *OutlierConfig
	// FeatureSqueezing is nil when it is off.
	FeatureSqueezing *SqueezeConfig
}

// Matcher selects requests by URL path; see MatchConfig.
type Matcher struct {
	PathPrefix string
	Model      string
}

// Match reports whether a request for the URL path matches.
func (m Matcher) Match(path string) bool {
	if !strings.HasPrefix(path, m.PathPrefix) {
		return false
	}
	return m.Model == "" || ModelInPath(path) == m.Model
}

// ModelInPath returns the segment after the first "/models/" in path, up
// to the next "/" or ":", or "" if there is none:
// /v2/models/iris/versions/3/infer and /v1/models/iris:predict give iris.
func ModelInPath(path string) string {
	_, rest, ok := strings.Cut(path, "/models/")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/:"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// Select returns the first model whose matcher matches path, or nil.
func (r *Runtime) Select(path string) *Model {
	for _, m := range r.Models {
		if m.Match.Match(path) {
			return m
		}
	}
	return nil
}

// Compile builds the runtime objects of a configuration that Load or
// Parse returned. Its only errors are those Parse would have reported.
func (c *Config) Compile() (*Runtime, error) {
	rt := &Runtime{
		Listen:      c.Listen,
		AdminListen: c.AdminListen,
		Proxy:       c.proxyConfig(),
		QueueSize:   c.Proxy.QueueSize,
		Feedback:    c.Feedback,
		Rules:       c.Rules,
		Receivers:   c.Receivers,
		Synthetics:  c.Synthetics,
		GPU:         c.GPU,
	}
	if c.file != "" {
		rt.SyntheticsDir = filepath.Dir(c.file)
	}
	if f := c.StateFile; f != "" {
		if !filepath.IsAbs(f) && c.file != "" {
			f = filepath.Join(filepath.Dir(c.file), f)
		}
		rt.StateFile = f
	}
	var err error
	if c.Route != nil {
		if rt.Route, err = route.Compile(*c.Route); err != nil {
			return nil, fmt.Errorf("route: %w", err)
		}
	}
	if len(c.InhibitRules) > 0 {
		if rt.Inhibitor, err = route.NewInhibitor(c.InhibitRules); err != nil {
			return nil, err
		}
	}
	for i := range c.Models {
		mc := &c.Models[i]
		dec, err := payload.New(mc.Payload)
		if err != nil {
			return nil, fmt.Errorf("models[%d].payload: %w", i, err)
		}
		m := &Model{
			Match:   Matcher(mc.Match),
			Payload: mc.Payload,
			Decoder: dec,
			Drift: drift.MonitorConfig{
				Window:         mc.Drift.Window,
				Options:        mc.Drift.Options,
				ReferenceFirst: mc.Drift.Reference.First,
				Features:       mc.Drift.Features,
				Predictions:    mc.Drift.Predictions,
				MinRecords:     mc.Drift.MinRecords,
				MaxColumns:     mc.Drift.MaxColumns,
			},
		}
		if f := mc.Drift.Reference.File; f != "" {
			if !filepath.IsAbs(f) && c.file != "" {
				f = filepath.Join(filepath.Dir(c.file), f)
			}
			m.ReferenceFile = f
			m.ReferenceIgnore = mc.Drift.Reference.Ignore
		}
		m.Adversarial = mc.Adversarial
		m.Outliers = mc.Outliers
		m.FeatureSqueezing = mc.FeatureSqueezing
		rt.Models = append(rt.Models, m)
	}
	return rt, nil
}

// proxyConfig returns the proxy.Config the file describes.
func (c *Config) proxyConfig() proxy.Config {
	return proxy.Config{
		Upstream:     c.Upstream,
		CaptureLimit: int64(c.Proxy.CaptureLimit),
		Timeout:      c.Proxy.Timeout,
		RewriteHost:  c.Proxy.RewriteHost,
		MaxIdleConns: c.Proxy.MaxIdleConns,
	}
}
