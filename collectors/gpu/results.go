package gpu

import (
	"maps"
	"math"
	"strconv"
	"strings"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// The names of the results for alert rules (obs.Result.Name). Every
// per-GPU result has the labels gpu (index), uuid and model, and
// gpu_instance, hostname, pod, namespace and container when the source
// reports them. A missing value gives no result.
const (
	// ResultSourceUp is 1 when the last poll read at least one GPU, else
	// 0 with the reason as evidence (warning when the source failed, ok
	// when there is no GPU). Label: source.
	ResultSourceUp = "gpu_source_up"
	// ResultUtilization is the GPU utilisation, 0–1.
	ResultUtilization = "gpu_utilization_ratio"
	// ResultMemoryUsed is used / total frame-buffer memory, 0–1 (see
	// Sample.MemoryUsedRatio); warning from 0.95. Evidence: used_bytes,
	// total_bytes.
	ResultMemoryUsed = "gpu_memory_used_ratio"
	// ResultTemperature is the GPU temperature in °C.
	ResultTemperature = "gpu_temperature_celsius"
	// ResultPower is the power draw in watts. Evidence: limit_watts.
	ResultPower = "gpu_power_watts"
	// ResultThrottled is 1 when a slowdown reason is active (power cap,
	// thermal or hardware slowdown: ThrottleSlowdown), warning; else 0.
	// Evidence: reasons, every active reason (idle included) or "none".
	ResultThrottled = "gpu_throttled"
	// ResultXID is the code of the last XID error, 0 when there was none;
	// critical when not 0. Evidence: xid_errors, the count, when known.
	// DCGM and NVML keep the last XID until restarted, as the GPU
	// usually needs a reset after one: the result stays critical until
	// then.
	ResultXID = "gpu_xid_errors"
	// ResultECC is the ECC error count since the driver loaded (volatile;
	// the aggregate count when there is no volatile one), label type
	// "corrected" or "uncorrected"; critical for uncorrected errors.
	// Evidence: counter ("volatile" or "aggregate"), aggregate.
	ResultECC = "gpu_ecc_errors"
)

// MemoryWarningRatio is the used memory ratio from which
// gpu_memory_used_ratio is a warning.
const MemoryWarningRatio = 0.95

// Results returns the results for alert rules of samples; see the
// Result constants for names, values and severities.
func Results(samples []Sample) []obs.Result {
	return appendResults(nil, samples)
}

func appendResults(dst []obs.Result, samples []Sample) []obs.Result {
	for i := range samples {
		dst = appendSampleResults(dst, &samples[i])
	}
	return dst
}

// resultLabels returns the labels of s's results.
func resultLabels(s *Sample) obs.Labels {
	l := obs.Labels{"uuid": s.UUID, "model": s.Model}
	if s.Index >= 0 {
		l["gpu"] = strconv.Itoa(s.Index)
	}
	for _, kv := range [...]struct{ k, v string }{
		{"gpu_instance", s.GPUInstance}, {"hostname", s.Hostname},
		{"pod", s.Pod}, {"namespace", s.Namespace}, {"container", s.Container},
	} {
		if kv.v != "" {
			l[kv.k] = kv.v
		}
	}
	return l
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func appendSampleResults(dst []obs.Result, s *Sample) []obs.Result {
	labels := resultLabels(s)
	add := func(name string, v float64, sev obs.Severity, ev ...obs.Field) {
		dst = append(dst, obs.Result{Name: name, Labels: maps.Clone(labels), Time: s.Time, Value: v, Severity: sev, Evidence: ev})
	}
	if !math.IsNaN(s.UtilizationPercent) {
		add(ResultUtilization, s.UtilizationPercent/100, obs.OK)
	}
	if r := s.MemoryUsedRatio(); !math.IsNaN(r) {
		sev := obs.OK
		if r >= MemoryWarningRatio {
			sev = obs.Warning
		}
		ev := []obs.Field{{Key: "used_bytes", Value: formatFloat(s.MemoryUsedBytes)}}
		if !math.IsNaN(s.MemoryTotalBytes) {
			ev = append(ev, obs.Field{Key: "total_bytes", Value: formatFloat(s.MemoryTotalBytes)})
		}
		add(ResultMemoryUsed, r, sev, ev...)
	}
	if !math.IsNaN(s.TemperatureCelsius) {
		add(ResultTemperature, s.TemperatureCelsius, obs.OK)
	}
	if !math.IsNaN(s.PowerWatts) {
		var ev []obs.Field
		if !math.IsNaN(s.PowerLimitWatts) {
			ev = append(ev, obs.Field{Key: "limit_watts", Value: formatFloat(s.PowerLimitWatts)})
		}
		add(ResultPower, s.PowerWatts, obs.OK, ev...)
	}
	if s.ThrottleKnown {
		v, sev := 0.0, obs.OK
		if s.ThrottleReasons&ThrottleSlowdown != 0 {
			v, sev = 1, obs.Warning
		}
		reasons := "none"
		if names := s.ThrottleReasons.Names(nil); len(names) > 0 {
			reasons = strings.Join(names, ",")
		}
		add(ResultThrottled, v, sev, obs.Field{Key: "reasons", Value: reasons})
	}
	if !math.IsNaN(s.LastXID) {
		sev := obs.OK
		if s.LastXID != 0 {
			sev = obs.Critical
		}
		var ev []obs.Field
		if !math.IsNaN(s.XIDErrors) {
			ev = append(ev, obs.Field{Key: "xid_errors", Value: formatFloat(s.XIDErrors)})
		}
		add(ResultXID, s.LastXID, sev, ev...)
	}
	for _, c := range [...]struct {
		typ                 string
		volatile, aggregate float64
		sev                 obs.Severity
	}{
		{"corrected", s.ECCCorrectedVolatile, s.ECCCorrectedAggregate, obs.OK},
		{"uncorrected", s.ECCUncorrectedVolatile, s.ECCUncorrectedAggregate, obs.Critical},
	} {
		v, counter := c.volatile, "volatile"
		if math.IsNaN(v) {
			v, counter = c.aggregate, "aggregate"
		}
		if math.IsNaN(v) {
			continue
		}
		sev := obs.OK
		if v > 0 {
			sev = c.sev
		}
		l := maps.Clone(labels)
		l["type"] = c.typ
		ev := []obs.Field{{Key: "counter", Value: counter}}
		if !math.IsNaN(c.aggregate) {
			ev = append(ev, obs.Field{Key: "aggregate", Value: formatFloat(c.aggregate)})
		}
		dst = append(dst, obs.Result{Name: ResultECC, Labels: l, Time: s.Time, Value: v, Severity: sev, Evidence: ev})
	}
	return dst
}
