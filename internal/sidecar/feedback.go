package sidecar

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// TEMPORARY until detectors/performance lands.
type feedback struct{}

type feedbackConfig struct{}

func newFeedback(feedbackConfig, *slog.Logger) (*feedback, error)        { return &feedback{}, nil }
func (f *feedback) observe(obs.Record)                                   {}
func (f *feedback) results(now time.Time, dst []obs.Result) []obs.Result { return dst }
func (f *feedback) collect(chan<- prometheus.Metric)                     {}
func (p *pipeline) feedbackAPI() api.Feedback                            { return nil }
