package gpu

import (
	"math"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names. Per-GPU metrics have the labels gpu (index; "" when
// unknown), uuid, model, gpu_instance (MIG; "" without), pod, namespace
// and container ("" unless the DCGM exporter attributes the GPU); a
// missing value exports no series. Register one Watcher per registry.
const (
	// MetricUp is 1 when the last poll read at least one GPU, label
	// source ("nvml", "dcgm", "nvidia-smi", "auto", "custom").
	MetricUp = "driftwatch_gpu_up"
	// MetricSourceErrors counts failed polls, label source; a machine
	// without GPU is not an error (MetricUp is 0).
	MetricSourceErrors = "driftwatch_gpu_source_errors_total"
	// MetricInvalidValues counts values a source reported but that could
	// not be read (Sample.Invalid), label source.
	MetricInvalidValues = "driftwatch_gpu_invalid_values_total"

	MetricUtilization           = "driftwatch_gpu_utilization_ratio"             // 0–1
	MetricMemoryCopyUtilization = "driftwatch_gpu_memory_copy_utilization_ratio" // 0–1, time memory was read or written
	MetricMemoryUsed            = "driftwatch_gpu_memory_used_bytes"
	MetricMemoryFree            = "driftwatch_gpu_memory_free_bytes"
	MetricMemoryTotal           = "driftwatch_gpu_memory_total_bytes"
	MetricTemperature           = "driftwatch_gpu_temperature_celsius"
	MetricPower                 = "driftwatch_gpu_power_watts"
	MetricPowerLimit            = "driftwatch_gpu_power_limit_watts"
	// MetricClock is the current clock, label clock "sm" or "memory".
	MetricClock = "driftwatch_gpu_clock_hertz"
	// MetricThrottled is 1 for each active clock event reason and 0 for
	// the others, label reason (ThrottleReasonNames).
	MetricThrottled = "driftwatch_gpu_throttled"
	// MetricECCErrors counts ECC errors, labels type ("corrected",
	// "uncorrected") and counter ("volatile": since the driver loaded;
	// "aggregate": over the GPU's life).
	MetricECCErrors = "driftwatch_gpu_ecc_errors_total"
	// MetricLastXID is the code of the last XID error, 0 when none.
	MetricLastXID = "driftwatch_gpu_last_xid"
	// MetricXIDErrors counts XID errors seen since the source started
	// (NVML only).
	MetricXIDErrors = "driftwatch_gpu_xid_errors_total"
)

var gpuLabels = []string{"gpu", "uuid", "model", "gpu_instance", "pod", "namespace", "container"}

// gpuDesc returns the Desc of a per-GPU metric with extra labels.
func gpuDesc(name, help string, extra ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, append(gpuLabels[:len(gpuLabels):len(gpuLabels)], extra...), nil)
}

var (
	descUp            = prometheus.NewDesc(MetricUp, "1 when the last poll of the GPU source read at least one GPU.", []string{"source"}, nil)
	descSourceErrors  = prometheus.NewDesc(MetricSourceErrors, "Polls of the GPU source that failed (not counting machines without GPU).", []string{"source"}, nil)
	descInvalidValues = prometheus.NewDesc(MetricInvalidValues, "GPU values the source reported that could not be read.", []string{"source"}, nil)

	descUtilization     = gpuDesc(MetricUtilization, "Share of the last sample period during which a kernel ran on the GPU.")
	descMemCopyUtil     = gpuDesc(MetricMemoryCopyUtilization, "Share of the last sample period during which GPU memory was read or written.")
	descMemoryUsed      = gpuDesc(MetricMemoryUsed, "GPU frame-buffer memory used.")
	descMemoryFree      = gpuDesc(MetricMemoryFree, "GPU frame-buffer memory free.")
	descMemoryTotal     = gpuDesc(MetricMemoryTotal, "GPU frame-buffer memory in total.")
	descTemperature     = gpuDesc(MetricTemperature, "GPU core temperature.")
	descPower           = gpuDesc(MetricPower, "GPU power draw.")
	descPowerLimit      = gpuDesc(MetricPowerLimit, "GPU enforced power limit.")
	descClock           = gpuDesc(MetricClock, "Current GPU clock.", "clock")
	descThrottled       = gpuDesc(MetricThrottled, "1 when the clock event (throttle) reason is active.", "reason")
	descECCErrors       = gpuDesc(MetricECCErrors, "GPU ECC errors; volatile since the driver loaded, aggregate over the GPU's life.", "type", "counter")
	descLastXID         = gpuDesc(MetricLastXID, "Code of the last XID error of the GPU, 0 when none.")
	descXIDErrors       = gpuDesc(MetricXIDErrors, "XID errors of the GPU seen since the source started.")
	allDescs            = []*prometheus.Desc{descUp, descSourceErrors, descInvalidValues, descUtilization, descMemCopyUtil, descMemoryUsed, descMemoryFree, descMemoryTotal, descTemperature, descPower, descPowerLimit, descClock, descThrottled, descECCErrors, descLastXID, descXIDErrors}
	throttleReasonNames = ThrottleReasonNames()
)

// Describe implements prometheus.Collector.
func (w *Watcher) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect implements prometheus.Collector with the samples of the last
// poll. Of two samples with the same labels, only the first is exported.
func (w *Watcher) Collect(ch chan<- prometheus.Metric) {
	w.mu.Lock()
	defer w.mu.Unlock()
	up := 0.0
	if w.state == stateOK {
		up = 1
	}
	name := strings.ToValidUTF8(w.name, "\uFFFD")
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, up, name)
	ch <- prometheus.MustNewConstMetric(descSourceErrors, prometheus.CounterValue, float64(w.errors), name)
	ch <- prometheus.MustNewConstMetric(descInvalidValues, prometheus.CounterValue, float64(w.invalid), name)

	seen := make(map[string]bool, len(w.samples))
	labels := make([]string, len(gpuLabels), len(gpuLabels)+2)
	for i := range w.samples {
		s := &w.samples[i]
		labels = labels[:len(gpuLabels)]
		labels[0] = ""
		if s.Index >= 0 {
			labels[0] = strconv.Itoa(s.Index)
		}
		labels[1], labels[2], labels[3] = s.UUID, s.Model, s.GPUInstance
		labels[4], labels[5], labels[6] = s.Pod, s.Namespace, s.Container
		key := strings.Join(labels, "\xff")
		if seen[key] {
			continue
		}
		seen[key] = true
		collectSample(ch, s, labels)
	}
}

// collectSample sends the metrics of one sample with the per-GPU label
// values labels (whose capacity has room for two more).
func collectSample(ch chan<- prometheus.Metric, s *Sample, labels []string) {
	emit := func(d *prometheus.Desc, t prometheus.ValueType, v float64, extra ...string) {
		if math.IsNaN(v) {
			return
		}
		// NewConstMetric fails only on label values that are not UTF-8,
		// which the parsers do not produce; a custom source's are dropped.
		if m, err := prometheus.NewConstMetric(d, t, v, append(labels, extra...)...); err == nil {
			ch <- m
		}
	}
	emit(descUtilization, prometheus.GaugeValue, s.UtilizationPercent/100)
	emit(descMemCopyUtil, prometheus.GaugeValue, s.MemoryUtilizationPercent/100)
	emit(descMemoryUsed, prometheus.GaugeValue, s.MemoryUsedBytes)
	emit(descMemoryFree, prometheus.GaugeValue, s.MemoryFreeBytes)
	emit(descMemoryTotal, prometheus.GaugeValue, s.MemoryTotalBytes)
	emit(descTemperature, prometheus.GaugeValue, s.TemperatureCelsius)
	emit(descPower, prometheus.GaugeValue, s.PowerWatts)
	emit(descPowerLimit, prometheus.GaugeValue, s.PowerLimitWatts)
	emit(descClock, prometheus.GaugeValue, s.SMClockMHz*1e6, "sm")
	emit(descClock, prometheus.GaugeValue, s.MemoryClockMHz*1e6, "memory")
	if s.ThrottleKnown {
		for _, name := range throttleReasonNames {
			v := 0.0
			if s.ThrottleReasons.Has(name) {
				v = 1
			}
			emit(descThrottled, prometheus.GaugeValue, v, name)
		}
	}
	emit(descECCErrors, prometheus.CounterValue, s.ECCCorrectedVolatile, "corrected", "volatile")
	emit(descECCErrors, prometheus.CounterValue, s.ECCUncorrectedVolatile, "uncorrected", "volatile")
	emit(descECCErrors, prometheus.CounterValue, s.ECCCorrectedAggregate, "corrected", "aggregate")
	emit(descECCErrors, prometheus.CounterValue, s.ECCUncorrectedAggregate, "uncorrected", "aggregate")
	emit(descLastXID, prometheus.GaugeValue, s.LastXID)
	emit(descXIDErrors, prometheus.CounterValue, s.XIDErrors)
}
