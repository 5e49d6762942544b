package gpu

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// Source kinds, the values of Config.Source.
const (
	SourceAuto      = "auto"
	SourceNVML      = "nvml"
	SourceDCGM      = "dcgm"
	SourceNvidiaSMI = "nvidia-smi"
	SourceOff       = "off" // no collector
)

// sources builds each kind of source from a Config; Validate and
// SourceKinds read the same map.
var sources = map[string]func(c *Config) (Source, error){
	SourceAuto: func(c *Config) (Source, error) {
		return FirstAvailable(NewNVML(), NewNvidiaSMI(c.NvidiaSMI, c.Timeout, nil)), nil
	},
	SourceNVML: func(*Config) (Source, error) { return NewNVML(), nil },
	SourceDCGM: func(c *Config) (Source, error) {
		d, err := NewDCGM(c.URL, c.Timeout, nil)
		if err != nil {
			return nil, err
		}
		return d, nil
	},
	SourceNvidiaSMI: func(c *Config) (Source, error) { return NewNvidiaSMI(c.NvidiaSMI, c.Timeout, nil), nil },
	SourceOff:       func(*Config) (Source, error) { return nil, nil },
}

// SourceKinds returns the values Config.Source accepts, sorted.
func SourceKinds() []string { return slices.Sorted(maps.Keys(sources)) }

// Config configures the GPU collector: which source to poll and how
// often. Zero fields take their defaults.
//
//	gpu:
//	  source: dcgm                          # auto (default), nvml, dcgm, nvidia-smi, off
//	  url: http://127.0.0.1:9400/metrics    # dcgm only
//	  nvidia_smi: /usr/bin/nvidia-smi       # nvidia-smi and auto [nvidia-smi in $PATH]
//	  interval: 15s
//	  timeout: 5s
type Config struct {
	// Source is the kind of source: "auto" (the default: NVML, else
	// nvidia-smi), "nvml", "dcgm" or "nvidia-smi".
	Source string `yaml:"source"`
	// URL is the DCGM exporter's metrics URL, e.g.
	// http://127.0.0.1:9400/metrics; required with source dcgm only.
	URL string `yaml:"url"`
	// NvidiaSMI is the path of nvidia-smi ("" means nvidia-smi in $PATH).
	NvidiaSMI string `yaml:"nvidia_smi"`
	// Interval is the time between polls (default DefaultInterval).
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one scrape or run of nvidia-smi (default
	// DefaultDCGMTimeout or DefaultSMITimeout); a poll is also bounded by
	// Interval.
	Timeout time.Duration `yaml:"timeout"`
}

// RegisterFlags registers the GPU collector's flags on fs, with the
// current field values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Source, "gpu-source", cmp.Or(c.Source, SourceAuto), "GPU source: "+strings.Join(SourceKinds(), ", "))
	fs.StringVar(&c.URL, "gpu-dcgm-url", c.URL, "metrics URL of the DCGM exporter, with -gpu-source dcgm, e.g. http://127.0.0.1:9400/metrics")
	fs.StringVar(&c.NvidiaSMI, "gpu-nvidia-smi", c.NvidiaSMI, "path of nvidia-smi (default: nvidia-smi in $PATH)")
	interval := c.Interval
	if interval == 0 {
		interval = DefaultInterval
	}
	fs.DurationVar(&c.Interval, "gpu-interval", interval, "time between two polls of the GPU source")
	fs.DurationVar(&c.Timeout, "gpu-timeout", c.Timeout, "timeout of one DCGM scrape or nvidia-smi run (0: 5s for DCGM, 10s for nvidia-smi)")
}

// Validate checks c without changing it and returns every problem, joined;
// each names its YAML field.
func (c *Config) Validate() error {
	var errs []error
	kind := cmp.Or(c.Source, SourceAuto)
	if _, ok := sources[kind]; !ok {
		errs = append(errs, fmt.Errorf("source: unknown %q (want %s)", c.Source, strings.Join(SourceKinds(), ", ")))
	}
	switch {
	case kind == SourceDCGM && c.URL == "":
		errs = append(errs, errors.New("url: required with source dcgm"))
	case kind == SourceDCGM:
		if _, err := NewDCGM(c.URL, 0, nil); err != nil {
			errs = append(errs, err)
		}
	case c.URL != "":
		errs = append(errs, fmt.Errorf("url: only with source dcgm, not %s", kind))
	}
	if c.Interval < 0 {
		errs = append(errs, fmt.Errorf("interval: must not be negative, got %v", c.Interval))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout: must not be negative, got %v", c.Timeout))
	}
	return errors.Join(errs...)
}

// New validates cfg and returns a Watcher of the source it names; start
// it with Run and register it with a Prometheus registry. l nil means
// slog.Default(). With source off it returns a nil Watcher.
func New(cfg *Config, l *slog.Logger) (*Watcher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	src, err := sources[cmp.Or(cfg.Source, SourceAuto)](cfg)
	if err != nil {
		return nil, fmt.Errorf("gpu: %w", err)
	}
	if src == nil {
		return nil, nil
	}
	return NewWatcher(src, cfg.Interval, l), nil
}
