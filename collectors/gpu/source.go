package gpu

import (
	"context"
	"errors"
	"math"
	"time"
)

// ErrNoGPU is wrapped by the error a Source returns when the machine has
// no GPU it can read: no NVIDIA library, no driver, no nvidia-smi, no
// device, or a build without cgo. It is a state, not a failure: the
// Watcher logs it once and keeps polling.
var ErrNoGPU = errors.New("no GPU")

// Source reads the current state of the GPUs it can see, appending one
// Sample per GPU (or per MIG instance, or per GPU and pod, when the source
// attributes them) to dst. A Source needs not be safe for concurrent use:
// the Watcher calls it from one goroutine.
//
// When there is no GPU to read, Sample returns dst and an error wrapping
// ErrNoGPU. Any other error means the source failed this time; it may
// still have appended the samples it could read.
//
// The sources of this package also have a Name method ("nvml", "dcgm",
// "nvidia-smi"), which the Watcher uses as the source label when present.
type Source interface {
	Sample(ctx context.Context, dst []Sample) ([]Sample, error)
}

// SourceFunc adapts a function to the Source interface.
type SourceFunc func(ctx context.Context, dst []Sample) ([]Sample, error)

// Sample implements the Source interface by calling f.
func (f SourceFunc) Sample(ctx context.Context, dst []Sample) ([]Sample, error) {
	return f(ctx, dst)
}

// sourceName returns src's Name, or "custom" when it has none.
func sourceName(src Source) string {
	if n, ok := src.(interface{ Name() string }); ok {
		return n.Name()
	}
	return "custom"
}

// Sample is the state of one GPU at one time.
//
// Every measurement is a float64 in the unit its name gives, and NaN when
// the source did not report it (not supported, not queried, a placeholder
// such as "[N/A]" or a DCGM blank value): a missing value is never 0.
// Use EmptySample to start from all-missing.
type Sample struct {
	Time time.Time // when the source read it

	// Identity. Index is the GPU's index on its host (nvidia-smi's
	// "index", DCGM's "gpu" label), -1 when unknown. Model is the product
	// name, e.g. "NVIDIA H100 80GB HBM3". GPUInstance is the MIG GPU
	// instance id (DCGM's GPU_I_ID), "" without MIG.
	Index       int
	UUID        string
	Model       string
	GPUInstance string

	// Attribution, when the source knows it (DCGM exporter in Kubernetes
	// mode): the host, and the pod, namespace and container using the GPU.
	Hostname  string
	Pod       string
	Namespace string
	Container string

	// UtilizationPercent is the share of the last sample period during
	// which a kernel ran, 0–100. MemoryUtilizationPercent is the share
	// during which device memory was read or written (nvidia-smi's
	// utilization.memory, DCGM's MEM_COPY_UTIL).
	UtilizationPercent       float64
	MemoryUtilizationPercent float64

	// Frame-buffer memory, in bytes.
	MemoryUsedBytes  float64
	MemoryFreeBytes  float64
	MemoryTotalBytes float64

	TemperatureCelsius float64 // GPU core temperature
	PowerWatts         float64 // power draw
	PowerLimitWatts    float64 // enforced power limit
	SMClockMHz         float64 // current SM clock
	MemoryClockMHz     float64 // current memory clock

	// ThrottleReasons are the active clock event (throttle) reasons; valid
	// only when ThrottleKnown.
	ThrottleReasons ThrottleReasons
	ThrottleKnown   bool

	// ECC error counts: volatile since the last driver load, aggregate
	// over the GPU's life. NaN when ECC is off or not reported.
	ECCCorrectedVolatile    float64
	ECCUncorrectedVolatile  float64
	ECCCorrectedAggregate   float64
	ECCUncorrectedAggregate float64

	// LastXID is the code of the most recent XID error, 0 when there was
	// none (DCGM's XID_ERRORS; for NVML, the last XID event seen since the
	// source started). XIDErrors counts the XID events the source has seen
	// since it started (NVML only). NaN when the source cannot tell.
	LastXID   float64
	XIDErrors float64

	// Invalid counts values that were present but could not be read
	// (malformed number, unknown unit, negative count): they are NaN
	// above, and counted here rather than silently missing.
	Invalid int
}

// EmptySample returns a Sample with Index -1 and every measurement
// missing (NaN).
func EmptySample() Sample {
	nan := math.NaN()
	return Sample{
		Index:                    -1,
		UtilizationPercent:       nan,
		MemoryUtilizationPercent: nan,
		MemoryUsedBytes:          nan,
		MemoryFreeBytes:          nan,
		MemoryTotalBytes:         nan,
		TemperatureCelsius:       nan,
		PowerWatts:               nan,
		PowerLimitWatts:          nan,
		SMClockMHz:               nan,
		MemoryClockMHz:           nan,
		ECCCorrectedVolatile:     nan,
		ECCUncorrectedVolatile:   nan,
		ECCCorrectedAggregate:    nan,
		ECCUncorrectedAggregate:  nan,
		LastXID:                  nan,
		XIDErrors:                nan,
	}
}

// MemoryUsedRatio returns used / total memory, or, when the total is
// missing, used / (used + free): older DCGM exporters report FB_USED and
// FB_FREE only (as the real capture in testdata does), and their sum
// leaves out the memory the driver reserves. It returns NaN when neither
// can be computed.
func (s *Sample) MemoryUsedRatio() float64 {
	if !math.IsNaN(s.MemoryTotalBytes) && s.MemoryTotalBytes > 0 {
		return s.MemoryUsedBytes / s.MemoryTotalBytes
	}
	if sum := s.MemoryUsedBytes + s.MemoryFreeBytes; sum > 0 {
		return s.MemoryUsedBytes / sum
	}
	return math.NaN()
}

// ThrottleReasons is a bit mask of clock event reasons, with NVML's bits
// (nvmlClocksEventReasons): the same mask nvidia-smi prints as
// clocks_event_reasons.active and DCGM as CLOCK_THROTTLE_REASONS.
type ThrottleReasons uint64

// The clock event reasons, with the names nvidia-smi gives them.
const (
	ThrottleGPUIdle                   ThrottleReasons = 1 << 0 // gpu_idle
	ThrottleApplicationsClocksSetting ThrottleReasons = 1 << 1 // applications_clocks_setting
	ThrottleSWPowerCap                ThrottleReasons = 1 << 2 // sw_power_cap
	ThrottleHWSlowdown                ThrottleReasons = 1 << 3 // hw_slowdown
	ThrottleSyncBoost                 ThrottleReasons = 1 << 4 // sync_boost
	ThrottleSWThermalSlowdown         ThrottleReasons = 1 << 5 // sw_thermal_slowdown
	ThrottleHWThermalSlowdown         ThrottleReasons = 1 << 6 // hw_thermal_slowdown
	ThrottleHWPowerBrakeSlowdown      ThrottleReasons = 1 << 7 // hw_power_brake_slowdown
	ThrottleDisplayClockSetting       ThrottleReasons = 1 << 8 // display_clock_setting

	// ThrottleSlowdown are the reasons that mean the GPU runs slower than
	// it could for a cause worth an alert: power cap, thermal or hardware
	// slowdown. Idle, application clocks, sync boost and display clocks
	// are normal operation.
	ThrottleSlowdown = ThrottleSWPowerCap | ThrottleHWSlowdown | ThrottleSWThermalSlowdown |
		ThrottleHWThermalSlowdown | ThrottleHWPowerBrakeSlowdown
)

// throttleNames lists the reasons in bit order; bits beyond it are
// "other".
var throttleNames = [...]string{
	"gpu_idle", "applications_clocks_setting", "sw_power_cap", "hw_slowdown", "sync_boost",
	"sw_thermal_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown", "display_clock_setting",
}

// ThrottleOther names the bits of a mask that no known reason has.
const ThrottleOther = "other"

// ThrottleReasonNames returns every name Names can return, in bit order,
// with ThrottleOther last.
func ThrottleReasonNames() []string {
	return append(throttleNames[:len(throttleNames):len(throttleNames)], ThrottleOther)
}

// Names appends the names of the reasons set in r to dst, in bit order,
// with ThrottleOther last when r has unknown bits.
func (r ThrottleReasons) Names(dst []string) []string {
	for i, name := range throttleNames {
		if r&(1<<i) != 0 {
			dst = append(dst, name)
		}
	}
	if r>>len(throttleNames) != 0 {
		dst = append(dst, ThrottleOther)
	}
	return dst
}

// Has reports whether the reason called name is set in r.
func (r ThrottleReasons) Has(name string) bool {
	for i, n := range throttleNames {
		if n == name {
			return r&(1<<i) != 0
		}
	}
	return name == ThrottleOther && r>>len(throttleNames) != 0
}

// throttleBit returns the bit of the reason called name, or 0.
func throttleBit(name string) ThrottleReasons {
	for i, n := range throttleNames {
		if n == name {
			return 1 << i
		}
	}
	return 0
}
