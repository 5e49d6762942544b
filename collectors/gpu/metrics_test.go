package gpu

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// t4Exposition is what the Watcher exports for the real DCGM capture
// (testdata/dcgm-exporter-metrics.txt), checked by hand against the file:
// GPU-20c56d28 has SM clock 300 MHz, memory clock 405 MHz, FB_FREE 15109
// MiB (15842934784 bytes), FB_USED 0, power 8.969 W, temperature 25 °C,
// utilisation 0 %, XID 0; GPU-9ef1b6d0 has FB_TOTAL 15109 MiB, power limit
// 70 W, throttle reasons 1 (gpu_idle). Values the file lacks have no
// series.
const t4Exposition = `
# HELP driftwatch_gpu_clock_hertz Current GPU clock.
# TYPE driftwatch_gpu_clock_hertz gauge
driftwatch_gpu_clock_hertz{clock="memory",container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"} 4.05e+08
driftwatch_gpu_clock_hertz{clock="sm",container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"} 3e+08
# HELP driftwatch_gpu_invalid_values_total GPU values the source reported that could not be read.
# TYPE driftwatch_gpu_invalid_values_total counter
driftwatch_gpu_invalid_values_total{source="dcgm"} 0
# HELP driftwatch_gpu_last_xid Code of the last XID error of the GPU, 0 when none.
# TYPE driftwatch_gpu_last_xid gauge
driftwatch_gpu_last_xid{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"} 0
# HELP driftwatch_gpu_memory_copy_utilization_ratio Share of the last sample period during which GPU memory was read or written.
# TYPE driftwatch_gpu_memory_copy_utilization_ratio gauge
driftwatch_gpu_memory_copy_utilization_ratio{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"} 0
# HELP driftwatch_gpu_memory_free_bytes GPU frame-buffer memory free.
# TYPE driftwatch_gpu_memory_free_bytes gauge
driftwatch_gpu_memory_free_bytes{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"} 1.5842934784e+10
# HELP driftwatch_gpu_memory_total_bytes GPU frame-buffer memory in total.
# TYPE driftwatch_gpu_memory_total_bytes gauge
driftwatch_gpu_memory_total_bytes{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 1.5842934784e+10
# HELP driftwatch_gpu_memory_used_bytes GPU frame-buffer memory used.
# TYPE driftwatch_gpu_memory_used_bytes gauge
driftwatch_gpu_memory_used_bytes{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"} 0
# HELP driftwatch_gpu_power_limit_watts GPU enforced power limit.
# TYPE driftwatch_gpu_power_limit_watts gauge
driftwatch_gpu_power_limit_watts{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 70
# HELP driftwatch_gpu_power_watts GPU power draw.
# TYPE driftwatch_gpu_power_watts gauge
driftwatch_gpu_power_watts{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"} 8.969
# HELP driftwatch_gpu_source_errors_total Polls of the GPU source that failed (not counting machines without GPU).
# TYPE driftwatch_gpu_source_errors_total counter
driftwatch_gpu_source_errors_total{source="dcgm"} 0
# HELP driftwatch_gpu_temperature_celsius GPU core temperature.
# TYPE driftwatch_gpu_temperature_celsius gauge
driftwatch_gpu_temperature_celsius{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"} 25
# HELP driftwatch_gpu_throttled 1 when the clock event (throttle) reason is active.
# TYPE driftwatch_gpu_throttled gauge
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="applications_clocks_setting",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 0
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="display_clock_setting",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 0
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="gpu_idle",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 1
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="hw_power_brake_slowdown",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 0
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="hw_slowdown",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 0
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="hw_thermal_slowdown",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 0
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="other",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 0
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="sw_power_cap",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 0
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="sw_thermal_slowdown",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 0
driftwatch_gpu_throttled{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",reason="sync_boost",uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"} 0
# HELP driftwatch_gpu_up 1 when the last poll of the GPU source read at least one GPU.
# TYPE driftwatch_gpu_up gauge
driftwatch_gpu_up{source="dcgm"} 1
# HELP driftwatch_gpu_utilization_ratio Share of the last sample period during which a kernel ran on the GPU.
# TYPE driftwatch_gpu_utilization_ratio gauge
driftwatch_gpu_utilization_ratio{container="",gpu="0",gpu_instance="",model="Tesla T4",namespace="",pod="",uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"} 0
`

func TestCollectorDCGM(t *testing.T) {
	srv := dcgmServer(t, http.StatusOK, readTestdata(t, "dcgm-exporter-metrics.txt"))
	d, err := NewDCGM(srv.URL+"/metrics", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWatcher(d, time.Second, testLogger(&logBuffer{}))
	w.Poll(context.Background())
	if err := testutil.CollectAndCompare(w, strings.NewReader(t4Exposition)); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(registry(t, w)); err != nil || n != 24 {
		t.Errorf("%d series (%v), want 24", n, err)
	}
}

func registry(t *testing.T, c prometheus.Collector) *prometheus.Registry {
	t.Helper()
	r := prometheus.NewPedanticRegistry()
	if err := r.Register(c); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCollectorAttributionAndCounters(t *testing.T) {
	s := EmptySample()
	s.Index, s.UUID, s.Model, s.GPUInstance = 3, "GPU-a", "NVIDIA A100-SXM4-80GB", "2"
	s.Hostname, s.Pod, s.Namespace, s.Container = "node-1", "rerank-7d9f", "ml", "triton" // no hostname label
	s.ECCCorrectedVolatile, s.ECCUncorrectedVolatile = 4, 1
	s.LastXID, s.XIDErrors = 79, 2
	s.ThrottleReasons, s.ThrottleKnown = ThrottleHWThermalSlowdown|1<<20, true
	s.Invalid = 3
	dup := s
	dup.LastXID = 13 // same labels: not exported
	bad := EmptySample()
	bad.UUID, bad.Model, bad.UtilizationPercent = "GPU-\xff", "x", 5 // not UTF-8: dropped, no panic
	src := SourceFunc(func(_ context.Context, dst []Sample) ([]Sample, error) { return append(dst, s, dup, bad), nil })
	w := NewWatcher(src, time.Second, testLogger(&logBuffer{}))
	w.Poll(context.Background())
	gpuLabels := []string{"container", "triton", "gpu", "3", "gpu_instance", "2", "model", "NVIDIA A100-SXM4-80GB",
		"namespace", "ml", "pod", "rerank-7d9f", "uuid", "GPU-a"}
	labels := func(extra ...string) string { return promLabels(append(slices.Clone(gpuLabels), extra...)...) }
	want := `
# HELP driftwatch_gpu_ecc_errors_total GPU ECC errors; volatile since the driver loaded, aggregate over the GPU's life.
# TYPE driftwatch_gpu_ecc_errors_total counter
driftwatch_gpu_ecc_errors_total` + labels("counter", "volatile", "type", "corrected") + ` 4
driftwatch_gpu_ecc_errors_total` + labels("counter", "volatile", "type", "uncorrected") + ` 1
# HELP driftwatch_gpu_invalid_values_total GPU values the source reported that could not be read.
# TYPE driftwatch_gpu_invalid_values_total counter
driftwatch_gpu_invalid_values_total{source="custom"} 6
# HELP driftwatch_gpu_last_xid Code of the last XID error of the GPU, 0 when none.
# TYPE driftwatch_gpu_last_xid gauge
driftwatch_gpu_last_xid` + labels() + ` 79
# HELP driftwatch_gpu_throttled 1 when the clock event (throttle) reason is active.
# TYPE driftwatch_gpu_throttled gauge
driftwatch_gpu_throttled` + labels("reason", "applications_clocks_setting") + ` 0
driftwatch_gpu_throttled` + labels("reason", "display_clock_setting") + ` 0
driftwatch_gpu_throttled` + labels("reason", "gpu_idle") + ` 0
driftwatch_gpu_throttled` + labels("reason", "hw_power_brake_slowdown") + ` 0
driftwatch_gpu_throttled` + labels("reason", "hw_slowdown") + ` 0
driftwatch_gpu_throttled` + labels("reason", "hw_thermal_slowdown") + ` 1
driftwatch_gpu_throttled` + labels("reason", "other") + ` 1
driftwatch_gpu_throttled` + labels("reason", "sw_power_cap") + ` 0
driftwatch_gpu_throttled` + labels("reason", "sw_thermal_slowdown") + ` 0
driftwatch_gpu_throttled` + labels("reason", "sync_boost") + ` 0
# HELP driftwatch_gpu_utilization_ratio Share of the last sample period during which a kernel ran on the GPU.
# TYPE driftwatch_gpu_utilization_ratio gauge
# HELP driftwatch_gpu_xid_errors_total XID errors of the GPU seen since the source started.
# TYPE driftwatch_gpu_xid_errors_total counter
driftwatch_gpu_xid_errors_total` + labels() + ` 2
`
	err := testutil.CollectAndCompare(w, strings.NewReader(want),
		MetricECCErrors, MetricInvalidValues, MetricLastXID, MetricThrottled, MetricUtilization, MetricXIDErrors)
	if err != nil {
		t.Error(err)
	}
}

func TestCollectorDown(t *testing.T) {
	fails := true
	src := SourceFunc(func(_ context.Context, dst []Sample) ([]Sample, error) {
		if fails {
			return dst, errors.New("dcgm: connection refused")
		}
		return dst, errNoGPUTest
	})
	w := NewWatcher(src, time.Second, testLogger(&logBuffer{}))
	w.Poll(context.Background())
	w.Poll(context.Background())
	fails = false
	w.Poll(context.Background()) // no GPU: not an error
	want := `
# HELP driftwatch_gpu_invalid_values_total GPU values the source reported that could not be read.
# TYPE driftwatch_gpu_invalid_values_total counter
driftwatch_gpu_invalid_values_total{source="custom"} 0
# HELP driftwatch_gpu_source_errors_total Polls of the GPU source that failed (not counting machines without GPU).
# TYPE driftwatch_gpu_source_errors_total counter
driftwatch_gpu_source_errors_total{source="custom"} 2
# HELP driftwatch_gpu_up 1 when the last poll of the GPU source read at least one GPU.
# TYPE driftwatch_gpu_up gauge
driftwatch_gpu_up{source="custom"} 0
`
	if err := testutil.CollectAndCompare(w, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

var errNoGPUTest = errors.Join(ErrNoGPU)

// promLabels renders label pairs k1, v1, k2, v2… as {k="v",…} sorted by
// name, as the text format has them.
func promLabels(kv ...string) string {
	pairs := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		pairs = append(pairs, kv[i]+"="+strconv.Quote(kv[i+1]))
	}
	slices.Sort(pairs)
	return "{" + strings.Join(pairs, ",") + "}"
}
