package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/units"
)

// onGPU selects the GPUs of the variables. pod, namespace and container
// come from a DCGM exporter only; "All" (.*) also matches GPUs without
// them.
const onGPU = `instance=~"$instance", namespace=~"$namespace", pod=~"$pod", gpu=~"$gpu"`

// gpuLegend names one GPU: its host, index, and the pod and container
// using it when the source says (DCGM).
const gpuLegend = "{{instance}} GPU {{gpu}} {{namespace}} {{pod}} {{container}}"

// GPU is the board of the GPUs next to the models: load, memory, heat,
// power, clocks, throttling and hardware errors.
func GPU() (dashboard.Dashboard, error) {
	b := newDashboard("driftwatch-gpu", "driftwatch / GPUs",
		"The GPUs next to the models, as the sidecars read them (NVML, DCGM exporter or nvidia-smi): utilisation, memory, temperature, power, clocks, throttling, ECC and XID errors, with the pod, namespace and container using each GPU where DCGM gives them.",
		labelVar("instance", "Sidecar", mGPUUp, true),
		labelVar("namespace", "Namespace", s(mGPUMemUsed, onInstance), true),
		labelVar("pod", "Pod", s(mGPUMemUsed, onInstance, `namespace=~"$namespace"`), true),
		labelVar("gpu", "GPU", s(mGPUMemUsed, onInstance, `namespace=~"$namespace"`, `pod=~"$pod"`), true))
	var g grid
	// Memory used over total, or, where the total is missing (older DCGM
	// exporters report used and free only), over used + free: the rule
	// of gpu.Sample.MemoryUsedRatio.
	usedMem := s(mGPUMemUsed, onGPU)
	used := fmt.Sprintf("(%[1]s / %[2]s) or (%[1]s / (%[1]s + %[3]s))", usedMem, s(mGPUMemTotal, onGPU), s(mGPUMemFree, onGPU))

	g.row("GPUs now")
	g.add(4, 4, statPanel("GPU source", "1 when the last poll of the source read a GPU; 0 on a machine without one.",
		units.NoUnit, thresholds(),
		query{"max by (source) (" + s(mGPUUp, onInstance) + ")", "{{source}}"}).
		Mappings(states("no GPU", "orange", "up", "green")))
	g.add(4, 4, statPanel("GPUs", "GPUs read at the last poll.", units.Short, thresholds(),
		query{"count(" + usedMem + ")", ""}))
	g.add(4, 4, statPanel("Busiest GPU", "Highest utilisation.", units.PercentUnit, thresholds(above(0.9, "orange")),
		query{"max(" + s(mGPUUtil, onGPU) + ")", ""}))
	g.add(4, 4, statPanel("Fullest GPU memory", "Highest share of frame-buffer memory used.", units.PercentUnit, thresholds(above(0.9, "orange"), above(0.95, "red")),
		query{"max(" + used + ")", ""}))
	g.add(4, 4, statPanel("Hottest GPU", "Highest core temperature.", units.Celsius, thresholds(above(80, "orange"), above(85, "red")),
		query{"max(" + s(mGPUTemp, onGPU) + ")", ""}))
	g.add(4, 4, statPanel("XID errors", "XID errors in the time range (NVML only); any is worth a look.", units.Short, thresholds(above(1, "red")),
		query{"sum(increase(" + s(mGPUXID, onGPU) + "[$__range])) or vector(0)", ""}))
	g.add(24, 6, tablePanel("GPUs and their users", "One row per GPU: its model and uuid, and the pod, namespace and container using it (DCGM only), with the memory it uses now.",
		query{usedMem, ""}).
		Unit(units.BytesIEC).
		Transformations([]dashboard.DataTransformerConfig{hideColumns("memory used")}))

	g.row("Load")
	g.add(12, 8, timeSeries("Utilisation", "Share of time a kernel ran, and share of time memory was read or written.",
		units.PercentUnit,
		query{s(mGPUUtil, onGPU), gpuLegend},
		query{s(mGPUMemCopyUtil, onGPU), "memory copy: " + gpuLegend}).
		Min(0).Max(1))
	g.add(12, 8, timeSeries("Memory used", "Share of frame-buffer memory used: of the total, or of used + free where the source gives no total (0.95 dashed).",
		units.PercentUnit,
		query{used, gpuLegend}).
		Min(0).Max(1).
		Thresholds(thresholds(above(0.95, "red"))).
		ThresholdsStyle(dashedThresholds()))
	g.add(12, 8, timeSeries("Memory used, free and total", "Frame-buffer memory (older DCGM exporters give no total).", units.BytesIEC,
		query{usedMem, "used: " + gpuLegend},
		query{s(mGPUMemFree, onGPU), "free: " + gpuLegend},
		query{s(mGPUMemTotal, onGPU), "total: " + gpuLegend}).
		Min(0))
	g.add(12, 8, timeSeries("Temperature", "Core temperature (85 °C dashed).", units.Celsius,
		query{s(mGPUTemp, onGPU), gpuLegend}).
		Thresholds(thresholds(above(85, "red"))).
		ThresholdsStyle(dashedThresholds()))
	g.add(12, 8, timeSeries("Power and limit", "Power draw, and the enforced power limit.", units.Watt,
		query{s(mGPUPower, onGPU), gpuLegend},
		query{s(mGPUPowerLimit, onGPU), "limit: " + gpuLegend}).
		Min(0))
	g.add(12, 8, timeSeries("Clocks", "SM and memory clocks.", units.Hertz,
		query{s(mGPUClock, onGPU), "{{clock}}: " + gpuLegend}))

	g.row("Throttling and errors")
	g.add(12, 8, timeSeries("GPUs throttled, by reason", "GPUs with each clock event (throttle) reason active; gpu_idle, the normal state of an idle GPU, is left out.",
		units.Short,
		query{"sum by (reason) (" + s(mGPUThrottled, onGPU, `reason!="gpu_idle"`) + ")", "{{reason}}"}).
		Min(0))
	g.add(12, 8, timeSeries("GPU source errors", "Failed polls of the GPU source (not counting machines without a GPU).",
		units.OpsPerSecond,
		query{"sum by (instance, source) (" + rate(s(mGPUSourceErrors, onInstance)) + ")", "{{instance}} {{source}}"}))
	g.add(8, 8, timeSeries("ECC errors", "Corrected and uncorrected ECC errors per interval; volatile counts since the driver loaded, aggregate over the GPU's life.",
		units.Short,
		query{"increase(" + s(mGPUECC, onGPU) + "[$__rate_interval])", "{{type}} {{counter}}: " + gpuLegend}).
		Min(0))
	g.add(8, 8, timeSeries("XID errors", "XID errors per interval (NVML events).",
		units.Short,
		query{"increase(" + s(mGPUXID, onGPU) + "[$__rate_interval])", gpuLegend}).
		Min(0))
	g.add(8, 8, tablePanel("Last XID", "The code of each GPU's last XID error (0: none).",
		query{s(mGPULastXID, onGPU), ""}).
		Transformations([]dashboard.DataTransformerConfig{hideColumns("last XID")}))

	return g.build(b)
}
