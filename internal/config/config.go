package config

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/alerts/notify/receivers"
	"github.com/driftwatch/driftwatch/alerts/route"
	"github.com/driftwatch/driftwatch/alerts/rules"
	"github.com/driftwatch/driftwatch/collectors/gpu"
	"github.com/driftwatch/driftwatch/collectors/payload"
	"github.com/driftwatch/driftwatch/collectors/proxy"
	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/detectors/outlier"
	"github.com/driftwatch/driftwatch/detectors/performance"
	"github.com/driftwatch/driftwatch/detectors/stream"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/synthetics"
)

// Defaults filled in at load for what the file leaves out.
const (
	DefaultListen         = ":8080"
	DefaultAdminListen    = ":9464"
	DefaultQueueSize      = 10_000
	MaxQueueSize          = 1 << 24
	DefaultWindowSize     = 1000
	DefaultReferenceFirst = 1000
)

// Config is the raw configuration file, with defaults filled in. It is
// what the file says; Compile turns it into the objects the sidecar runs.
type Config struct {
	// Listen is the proxy's address, host:port.
	Listen string `yaml:"listen"`
	// AdminListen serves /metrics, /healthz, /readyz and /api/v1.
	AdminListen string `yaml:"admin_listen"`
	// Upstream is the model server's URL; required.
	Upstream string `yaml:"upstream"`
	// StateFile is the embedded store that keeps silences (and, with
	// notifications, the outbox) across restarts; relative to the
	// configuration file. Empty: a temporary file, lost at exit.
	StateFile string        `yaml:"state_file"`
	Proxy     ProxyConfig   `yaml:"proxy"`
	Models    []ModelConfig `yaml:"models"`
	// Feedback, when the section is there (feedback: {} for the
	// defaults), keeps predictions until their ground-truth labels come;
	// zero fields take performance.DefaultConfig's values. Off without it:
	// holding predictions for labels nobody sends costs memory.
	Feedback *performance.Config `yaml:"feedback"`
	// Rules turn the detectors' results into alerts.
	Rules []rules.Rule `yaml:"rules"`
	// Route sends alerts to receivers, grouped; nil sends nothing.
	Route *route.Config `yaml:"route"`
	// InhibitRules mute alerts while others fire.
	InhibitRules []route.InhibitConfig `yaml:"inhibit_rules"`
	// Receivers are where routes send notifications.
	Receivers []receivers.Config `yaml:"receivers"`
	// Synthetics are end-to-end checks the sidecar runs on a schedule
	// (and driftwatch synth run runs once); none by default.
	Synthetics []synthetics.Check `yaml:"synthetics"`
	// GPU is the GPU collector; the zero value finds NVML or nvidia-smi
	// by itself (source auto) and reports "no GPU" once without them.
	GPU gpu.Config `yaml:"gpu"`

	file string // the file it was read from, for relative paths
}

// ProxyConfig is the proxy section: the fields of proxy.Config other than
// the upstream, and the size of the tap queue.
type ProxyConfig struct {
	CaptureLimit Size          `yaml:"capture_limit"`
	Timeout      time.Duration `yaml:"timeout"`
	RewriteHost  bool          `yaml:"rewrite_host"`
	MaxIdleConns int           `yaml:"max_idle_conns"`
	// QueueSize is the capacity of the tap queue between the proxy and the
	// decoders; exchanges beyond it are dropped and counted.
	QueueSize int `yaml:"queue_size"`
}

// DefaultProxy returns the proxy section used when the file has none.
func DefaultProxy() ProxyConfig {
	return ProxyConfig{
		CaptureLimit: proxy.DefaultCaptureLimit,
		Timeout:      proxy.DefaultTimeout,
		MaxIdleConns: proxy.DefaultMaxIdleConns,
		QueueSize:    DefaultQueueSize,
	}
}

// UnmarshalYAML implements yaml.Unmarshaler: it fills in defaults.
func (c *ProxyConfig) UnmarshalYAML(n *yaml.Node) error {
	*c = DefaultProxy()
	type plain ProxyConfig
	return n.Decode((*plain)(c))
}

// ModelConfig says which traffic belongs to a model, how to decode it and
// how to watch it for drift.
type ModelConfig struct {
	Match   MatchConfig    `yaml:"match"`
	Payload payload.Config `yaml:"payload"`
	Drift   DriftConfig    `yaml:"drift"`
	// Adversarial watches each client of the model for adversarial
	// probing and extraction; off when absent.
	Adversarial *AdversarialConfig `yaml:"adversarial"`
	// Outliers scores each record against the drift reference and counts
	// its data-quality issues; off when absent.
	Outliers *OutlierConfig `yaml:"outliers"`
	// FeatureSqueezing re-sends a sample of the requests with reduced
	// precision; off when absent.
	FeatureSqueezing *SqueezeConfig `yaml:"feature_squeezing"`
}

// SqueezeConfig turns on feature squeezing (Xu, Evans & Qi, 2018): a share
// sample of the requests is sent to the model a second time, directly and
// marked synthetic, with every fractional number of its inputs rounded to
// digits significant digits, and the L1 distance between the two answers'
// class probabilities is scored. An adversarial input sits close to the
// decision boundary, so squeezing it moves the answer far more than it
// moves a natural one. The model gets sample × the traffic on top of its
// own (0.01: 1% more requests); models without class probabilities in
// their answers cannot be scored.
//
//	feature_squeezing:
//	  sample: 0.01   # [0.01] share of requests re-sent, in (0, 1]
//	  digits: 2      # [2] significant digits kept, 1 to 15
//	  timeout: 2s    # [2s] for the squeezed request
type SqueezeConfig struct {
	Sample  float64       `yaml:"sample"`
	Digits  int           `yaml:"digits"`
	Timeout time.Duration `yaml:"timeout"`
}

// UnmarshalYAML implements yaml.Unmarshaler: it fills in defaults.
func (c *SqueezeConfig) UnmarshalYAML(n *yaml.Node) error {
	*c = SqueezeConfig{Sample: 0.01, Digits: 2, Timeout: 2 * time.Second}
	type plain SqueezeConfig
	return n.Decode((*plain)(c))
}

// OutlierConfig turns on per-record outlier scores and data-quality
// counts (detectors/outlier) for a model whose drift reference is a file:
// the scorer is fitted on the reference rows, with its threshold set so
// that a share fpr of them would be flagged.
//
//	outliers:
//	  method: iforest   # [iforest] | mahalanobis | knn | zscore
//	  fpr: 0.005        # [0.005] target false-positive rate on clean data
//	  k: 5              # [5] the neighbour of knn
//	  recent: 100       # [100] outliers kept for /api/v1/outliers
type OutlierConfig struct {
	Method outlier.Method `yaml:"method"`
	FPR    float64        `yaml:"fpr"`
	K      int            `yaml:"k"`
	Recent int            `yaml:"recent"`
}

// UnmarshalYAML implements yaml.Unmarshaler: it fills in defaults.
func (c *OutlierConfig) UnmarshalYAML(n *yaml.Node) error {
	*c = OutlierConfig{Method: outlier.MethodIForest, FPR: 0.005, K: 5, Recent: outlier.DefaultRecent}
	type plain OutlierConfig
	return n.Decode((*plain)(c))
}

// Options returns the detectors/outlier options the section describes.
func (c *OutlierConfig) Options() outlier.Options {
	return outlier.Options{Method: c.Method, FPR: c.FPR, K: c.K}
}

// AdversarialConfig turns on the per-client signals of
// detectors/adversarial for a model whose drift reference is a file: the
// queries are standardised by the reference and the thresholds calibrated
// on its rows. A client is the value of ClientHeader (an API key, a user
// id), or the remote address without one; only an HMAC of it with Salt is
// kept or shown.
//
//	adversarial:
//	  client_header: X-Api-Key
//	  salt: env:DRIFTWATCH_CLIENT_SALT   # [random per process: hashes change at restart]
type AdversarialConfig struct {
	ClientHeader string     `yaml:"client_header"`
	Salt         obs.Secret `yaml:"salt"`
}

// DefaultModel returns the model entry used when the file lists none: it
// matches every request, detects the protocol and watches for drift with
// the default drift section.
func DefaultModel() ModelConfig {
	return ModelConfig{Drift: DefaultDrift()}
}

// UnmarshalYAML implements yaml.Unmarshaler: it fills in defaults.
func (c *ModelConfig) UnmarshalYAML(n *yaml.Node) error {
	*c = DefaultModel()
	type plain ModelConfig
	return n.Decode((*plain)(c))
}

// MatchConfig selects requests by their URL path. All fields set must
// match; an empty MatchConfig matches every request.
type MatchConfig struct {
	// PathPrefix matches request paths that start with it.
	PathPrefix string `yaml:"path_prefix"`
	// Model matches the model name in the path: the segment after
	// /models/, up to the next "/" or ":" (OIP v2, KServe v1, TF Serving
	// URLs such as /v2/models/iris/infer or /v1/models/iris:predict).
	Model string `yaml:"model"`
}

// DriftConfig configures the live drift monitor of a model, one per
// model version seen in its traffic.
type DriftConfig struct {
	Window    stream.WindowConfig `yaml:"window"`
	Reference ReferenceConfig     `yaml:"reference"`
	// Options of the comparison; the file's values override
	// drift.LiveOptions() field by field.
	Options drift.Options `yaml:"options"`
	// Features and Predictions select what is tested; neither means both.
	Features    bool `yaml:"features"`
	Predictions bool `yaml:"predictions"`
	MinRecords  int  `yaml:"min_records"`
	MaxColumns  int  `yaml:"max_columns"`
}

// DefaultDrift returns the drift section used when a model has none:
// tumbling windows of DefaultWindowSize records compared with the first
// DefaultReferenceFirst records.
func DefaultDrift() DriftConfig {
	return DriftConfig{
		Window:    stream.WindowConfig{Size: DefaultWindowSize, Mode: stream.Tumbling},
		Reference: ReferenceConfig{First: DefaultReferenceFirst},
		Options:   drift.LiveOptions(),
	}
}

// UnmarshalYAML implements yaml.Unmarshaler: it fills in defaults. A
// window or reference given in the file replaces the default one whole
// rather than field by field; options merge field by field.
func (c *DriftConfig) UnmarshalYAML(n *yaml.Node) error {
	*c = DefaultDrift()
	if hasKey(n, "window") {
		c.Window = stream.WindowConfig{}
	}
	if hasKey(n, "reference") {
		c.Reference = ReferenceConfig{}
	}
	type plain DriftConfig
	return n.Decode((*plain)(c))
}

// ReferenceConfig says what a window is compared with: a file (CSV, JSONL
// or Parquet, with prediction columns named "prediction:<name>"), or the
// first N records seen. File and First are mutually exclusive.
type ReferenceConfig struct {
	// File is a path, relative to the configuration file's directory.
	File string `yaml:"file"`
	// Ignore names columns of File that traffic does not carry (a label,
	// an id), which would otherwise be reported as all missing.
	Ignore []string `yaml:"ignore"`
	First  int      `yaml:"first"`
}

// Default returns the configuration of a file that gives only upstream.
func Default() *Config {
	return &Config{
		Listen:      DefaultListen,
		AdminListen: DefaultAdminListen,
		Proxy:       DefaultProxy(),
	}
}

// hasKey reports whether the mapping n has key with a non-null value.
func hasKey(n *yaml.Node, key string) bool {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].ShortTag() != "!!null" {
			return true
		}
	}
	return false
}
