// Package gpu reads NVIDIA GPU telemetry next to a model server and turns
// it into Prometheus metrics and into results for the alert rules.
//
// # Sources
//
// A Source appends one Sample per GPU to a slice. Three are provided:
//
//   - NVML (NewNVML): libnvidia-ml.so.1 through github.com/NVIDIA/go-nvml,
//     loaded at run time. Needs cgo; the pure-Go build's NVML always says
//     "no GPU: nvml: built without cgo: NVML unavailable". NVML is never
//     called after a failed Init (without the library that kills the
//     process). XID errors come from an NVML event set.
//   - DCGM exporter (NewDCGM): scrapes dcgm-exporter's /metrics over HTTP
//     and parses the text format with prometheus/common/expfmt
//     (ParseDCGM). Keeps the pod, namespace and container labels that
//     dcgm-exporter adds in Kubernetes mode, so a GPU's use is attributed
//     to the model's pod, and the MIG instance (GPU_I_ID).
//   - nvidia-smi (NewNvidiaSMI): runs nvidia-smi --query-gpu=… --format=csv
//     and parses it with encoding/csv, mapping columns by header name
//     (ParseNvidiaSMI). The fallback where neither of the others is
//     available.
//
// FirstAvailable composes sources: "auto" (Config.Source) is NVML, then
// nvidia-smi.
//
// # Fields read
//
// Each Sample field, with the DCGM field (DCGM_FI_DEV_…) and the
// nvidia-smi field it comes from; older names in parentheses are read
// when the current one is absent:
//
//   - UtilizationPercent: GPU_UTIL; utilization.gpu.
//   - MemoryUtilizationPercent: MEM_COPY_UTIL; utilization.memory.
//   - MemoryUsedBytes, MemoryFreeBytes, MemoryTotalBytes: FB_USED, FB_FREE,
//     FB_TOTAL (MiB); memory.used, memory.free, memory.total.
//   - TemperatureCelsius: GPU_TEMP; temperature.gpu.
//   - PowerWatts: POWER_USAGE; power.draw (power.draw.instant,
//     power.draw.average).
//   - PowerLimitWatts: ENFORCED_POWER_LIMIT (POWER_MGMT_LIMIT);
//     enforced.power.limit (power.limit).
//   - SMClockMHz, MemoryClockMHz: SM_CLOCK, MEM_CLOCK; clocks.current.sm,
//     clocks.current.memory (clocks.sm, clocks.mem).
//   - ThrottleReasons: CLOCKS_EVENT_REASONS (CLOCK_THROTTLE_REASONS);
//     clocks_event_reasons.active (clocks_throttle_reasons.active), else
//     the one-column-per-reason "Active"/"Not Active" fields.
//   - ECC counts: ECC_SBE_VOL_TOTAL, ECC_DBE_VOL_TOTAL, ECC_SBE_AGG_TOTAL,
//     ECC_DBE_AGG_TOTAL; ecc.errors.{corrected,uncorrected}.{volatile,
//     aggregate}.total.
//   - LastXID: XID_ERRORS; nvidia-smi has none.
//   - Identity: the labels gpu, UUID, modelName (DCGM_FI_DEV_NAME),
//     hostname (Hostname), pod, namespace, container (pod_name,
//     pod_namespace, container_name) and GPU_I_ID; index, uuid, name and
//     hostname.
//
// NVML reads the same through nvmlDeviceGetUtilizationRates,
// GetMemoryInfo, GetTemperature(GPU), GetPowerUsage,
// GetEnforcedPowerLimit, GetClockInfo(SM, MEM),
// GetCurrentClocksEventReasons (ThrottleReasons on drivers before R535),
// GetTotalEccErrors and the XidCriticalError events.
//
// # Units and missing values
//
// A Sample holds float64 values in the unit of their name (percent, bytes,
// °C, W, MHz, counts). A value the source does not report is NaN, never 0:
// NVML's ERROR_NOT_SUPPORTED, nvidia-smi's "[N/A]", "[Not Supported]",
// "N/A" and other bracketed placeholders, DCGM's blank sentinels
// (≥ 9223372036854775792 for int64 fields, ≥ 2^47 for float fields,
// 0x7ffffff0–0x7fffffff for int32 fields) and absent fields or columns.
// The throttle mask, an integer, has the presence flag ThrottleKnown. A
// value that is present but unreadable (bad number, unknown unit,
// negative count) is NaN too, and counted in Sample.Invalid, then in
// driftwatch_gpu_invalid_values_total. Metrics and results leave missing
// values out; exported metrics are in base units (ratio 0–1, bytes, hertz).
//
// # Results
//
// Results (and Watcher.Results) turn samples into obs.Result for the alert
// rules: gpu_source_up, gpu_utilization_ratio, gpu_memory_used_ratio,
// gpu_temperature_celsius, gpu_power_watts, gpu_throttled, gpu_xid_errors
// and gpu_ecc_errors (see the Result constants for values, labels and
// severities). For example "memory > 95% for 5 minutes" is the rule
// {result: gpu_memory_used_ratio, op: ">", warning: 0.95, for: 5m} and
// "any XID error is critical" {result: gpu_xid_errors, op: ">",
// critical: 0}.
//
// # Metrics
//
// A Watcher is a prometheus.Collector exporting the last poll's samples:
// driftwatch_gpu_up, driftwatch_gpu_source_errors_total,
// driftwatch_gpu_invalid_values_total (label source), and per GPU
// driftwatch_gpu_utilization_ratio,
// driftwatch_gpu_memory_copy_utilization_ratio,
// driftwatch_gpu_memory_used_bytes, driftwatch_gpu_memory_free_bytes,
// driftwatch_gpu_memory_total_bytes, driftwatch_gpu_temperature_celsius,
// driftwatch_gpu_power_watts, driftwatch_gpu_power_limit_watts,
// driftwatch_gpu_clock_hertz{clock}, driftwatch_gpu_throttled{reason},
// driftwatch_gpu_ecc_errors_total{type,counter}, driftwatch_gpu_last_xid
// and driftwatch_gpu_xid_errors_total, labelled gpu, uuid, model,
// gpu_instance, pod, namespace and container (see the Metric constants).
// The host name is a result label but not a metric label: Prometheus's
// target labels say which host a series comes from.
//
// # Wiring
//
//	w, err := gpu.New(&cfg.GPU, logger) // Config: source, url, nvidia_smi, interval, timeout
//	registry.MustRegister(w)
//	go w.Run(ctx)                       // polls until ctx is done
//	...
//	results = w.Results(now, results)   // with the detectors' results, into alerts/rules
//	w.Close()                           // after Run returned: shuts NVML down
package gpu
