package gpu

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// resultString renders a result on one line for comparisons.
func resultString(r obs.Result) string {
	var ev []string
	for _, f := range r.Evidence {
		ev = append(ev, f.Key+"="+f.Value)
	}
	return fmt.Sprintf("%s%s %v %v [%s]", r.Name, r.Labels, r.Value, r.Severity, strings.Join(ev, " "))
}

func checkResults(t *testing.T, got []obs.Result, want []string) {
	t.Helper()
	var lines []string
	for _, r := range got {
		lines = append(lines, resultString(r))
	}
	if g, w := strings.Join(lines, "\n"), strings.Join(want, "\n"); g != w {
		t.Errorf("results:\n%s\nwant:\n%s", g, w)
	}
}

// TestResultsRealFiles turns the real captures into results.
func TestResultsRealFiles(t *testing.T) {
	at := time.Date(2026, 7, 14, 8, 12, 53, 0, time.UTC)
	h100 := smiH100()
	h100.Time = at
	got := Results([]Sample{h100})
	const l = `{gpu="0", model="NVIDIA H100 80GB HBM3", uuid="GPU-00000000-0000-0000-0000-000000000000"}`
	checkResults(t, got, []string{
		"gpu_utilization_ratio" + l + " 1 ok []",
		// 19818 MiB of 81559 MiB.
		"gpu_memory_used_ratio" + l + " 0.24298973749065095 ok [used_bytes=20780679168 total_bytes=85520809984]",
		"gpu_temperature_celsius" + l + " 59 ok []",
		"gpu_power_watts" + l + " 631.95 ok [limit_watts=700]",
		"gpu_throttled" + l + " 0 ok [reasons=none]",
		`gpu_ecc_errors{gpu="0", model="NVIDIA H100 80GB HBM3", type="corrected", uuid="GPU-00000000-0000-0000-0000-000000000000"} 0 ok [counter=volatile aggregate=0]`,
		`gpu_ecc_errors{gpu="0", model="NVIDIA H100 80GB HBM3", type="uncorrected", uuid="GPU-00000000-0000-0000-0000-000000000000"} 0 ok [counter=volatile aggregate=0]`,
	})
	for _, r := range got {
		if !r.Time.Equal(at) {
			t.Errorf("%s at %v, want the sample's time", r.Name, r.Time)
		}
	}

	got = Results(dcgmT4())
	const a = `{gpu="0", hostname="424773df46e0", model="Tesla T4", uuid="GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e"}`
	const b = `{gpu="0", hostname="551bdf382151", model="Tesla T4", uuid="GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5"}`
	checkResults(t, got, []string{
		"gpu_utilization_ratio" + a + " 0 ok []",
		"gpu_memory_used_ratio" + a + " 0 ok [used_bytes=0]", // FB_USED / (FB_USED + FB_FREE)
		"gpu_temperature_celsius" + a + " 25 ok []",
		"gpu_power_watts" + a + " 8.969 ok []",
		"gpu_xid_errors" + a + " 0 ok []",
		"gpu_throttled" + b + " 0 ok [reasons=gpu_idle]", // idle is not a slowdown
	})
}

func TestResultsSeverities(t *testing.T) {
	s := EmptySample()
	s.Index, s.UUID, s.Model = 1, "GPU-a", "NVIDIA A100-SXM4-80GB"
	s.Pod, s.Namespace, s.Container, s.GPUInstance = "rerank-7d9f", "ml", "triton", "2"
	s.MemoryUsedBytes, s.MemoryTotalBytes = 78<<30, 80<<30
	s.ThrottleReasons, s.ThrottleKnown = ThrottleGPUIdle|ThrottleHWThermalSlowdown, true
	s.LastXID, s.XIDErrors = 79, 2
	s.ECCCorrectedAggregate, s.ECCUncorrectedVolatile, s.ECCUncorrectedAggregate = 12, 1, 3
	got := Results([]Sample{s})
	const l = `container="triton", gpu="1", gpu_instance="2", model="NVIDIA A100-SXM4-80GB", namespace="ml", pod="rerank-7d9f"`
	checkResults(t, got, []string{
		"gpu_memory_used_ratio{" + l + `, uuid="GPU-a"} 0.975 warning [used_bytes=83751862272 total_bytes=85899345920]`,
		"gpu_throttled{" + l + `, uuid="GPU-a"} 1 warning [reasons=gpu_idle,hw_thermal_slowdown]`,
		"gpu_xid_errors{" + l + `, uuid="GPU-a"} 79 critical [xid_errors=2]`,
		// No volatile count: the aggregate one.
		"gpu_ecc_errors{" + l + `, type="corrected", uuid="GPU-a"} 12 ok [counter=aggregate aggregate=12]`,
		"gpu_ecc_errors{" + l + `, type="uncorrected", uuid="GPU-a"} 1 critical [counter=volatile aggregate=3]`,
	})
	// Each result owns its labels.
	got[0].Labels["x"] = "y"
	if _, ok := got[1].Labels["x"]; ok {
		t.Error("results share their labels")
	}
	if got := Results([]Sample{EmptySample()}); len(got) != 0 {
		t.Errorf("a sample without values gave %d results", len(got))
	}
}

func TestThrottleReasons(t *testing.T) {
	r := ThrottleSWPowerCap | ThrottleDisplayClockSetting | 1<<40
	if got := strings.Join(r.Names(nil), ","); got != "sw_power_cap,display_clock_setting,other" {
		t.Errorf("Names = %s", got)
	}
	for _, name := range ThrottleReasonNames() {
		want := name == "sw_power_cap" || name == "display_clock_setting" || name == ThrottleOther
		if r.Has(name) != want {
			t.Errorf("Has(%s) = %v", name, !want)
		}
	}
	if r.Has("nonsense") {
		t.Error("Has(nonsense)")
	}
	if len(ThrottleReasonNames()) != 10 {
		t.Errorf("%d names", len(ThrottleReasonNames()))
	}
}
