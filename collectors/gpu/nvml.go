package gpu

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// nvmlAPI is the part of NVML the NVML source uses. The cgo build
// implements it with github.com/NVIDIA/go-nvml (nvml_cgo.go), the pure-Go
// build with a stub whose Init says why there is no NVML (nvml_nocgo.go),
// and tests with a fake. Every error is an *nvmlError.
//
// NVML must not be called at all after a failed Init: without the
// library, any other call kills the process. The NVML source calls Init
// first and nothing else until it succeeded.
type nvmlAPI interface {
	Init() error
	Shutdown() error
	DeviceCount() (int, error)
	Device(i int) (nvmlDevice, error)
	// WatchXID registers dev's XID (critical error) events.
	WatchXID(dev nvmlDevice) error
	// NextXID returns the next pending XID event without waiting: the
	// UUID of its GPU and the XID code, and ok false when there is none.
	NextXID() (uuid string, xid uint64, ok bool, err error)
}

// nvmlDevice is one GPU's handle.
type nvmlDevice interface {
	UUID() (string, error)
	Name() (string, error)
	Utilization() (gpu, memory uint32, err error)  // percent
	Memory() (used, free, total uint64, err error) // bytes
	Temperature() (uint32, error)                  // °C
	Power() (milliwatts uint32, err error)
	PowerLimit() (milliwatts uint32, err error)
	SMClock() (mhz uint32, err error)
	MemoryClock() (mhz uint32, err error)
	ThrottleReasons() (uint64, error)
	ECC(uncorrected, aggregate bool) (uint64, error)
}

// nvmlKind classifies an NVML return code.
type nvmlKind uint8

const (
	nvmlOther        nvmlKind = iota
	nvmlNotSupported          // the value is missing
	nvmlNoLibrary             // no GPU, and never will be in this process
	nvmlNoDriver              // no GPU for now: the driver may load later
	nvmlGPULost               // the GPU fell off the bus or needs a reset
	nvmlTimeout               // no event pending
)

// nvmlError is an NVML return code other than success.
type nvmlError struct {
	op   string // the call, e.g. "device 0: GetUUID"; "" for Init
	code string // e.g. "ERROR_LIBRARY_NOT_FOUND"
	kind nvmlKind
}

func (e *nvmlError) Error() string {
	msg := "nvml: " + e.code
	if e.op != "" {
		msg = "nvml: " + e.op + ": " + e.code
	}
	if e.noGPU() {
		msg = ErrNoGPU.Error() + ": " + msg
	}
	return msg
}

// Unwrap returns ErrNoGPU when the error means there is no GPU.
func (e *nvmlError) Unwrap() error {
	if e.noGPU() {
		return ErrNoGPU
	}
	return nil
}

func (e *nvmlError) noGPU() bool { return e.kind == nvmlNoLibrary || e.kind == nvmlNoDriver }

func nvmlKindOf(err error) nvmlKind {
	var e *nvmlError
	if errors.As(err, &e) {
		return e.kind
	}
	return nvmlOther
}

// maxXIDDrain bounds the XID events read in one Sample.
const maxXIDDrain = 1024

// xidState is what the NVML source knows of one GPU's XID events.
type xidState struct {
	last  uint64
	count uint64
}

// NVML is a Source that reads the GPUs through NVML (libnvidia-ml.so.1,
// loaded at run time). It needs cgo; a build without cgo returns ErrNoGPU
// ("built without cgo: NVML unavailable").
//
// NVML is initialised by the first Sample. When the library is missing
// that Sample, and every later one, returns ErrNoGPU without calling NVML
// again; when the driver is not loaded, Init is tried again at the next
// Sample. XID errors are read from an NVML event set registered for
// nvmlEventTypeXidCriticalError on every GPU that supports it, drained
// without waiting at each Sample: Sample.LastXID is the last XID code seen
// since the source started (0: none), Sample.XIDErrors their count. A GPU
// whose events cannot be registered has both NaN.
type NVML struct {
	mu      sync.Mutex
	api     nvmlAPI
	initErr error // permanent failure of Init
	ready   bool  // Init succeeded and Close was not called
	watched map[string]bool
	xid     map[string]*xidState
	now     func() time.Time
}

// NewNVML returns the NVML source. It does not touch NVML before the
// first Sample.
func NewNVML() *NVML { return newNVML(newNVMLLib()) }

func newNVML(api nvmlAPI) *NVML {
	return &NVML{api: api, watched: make(map[string]bool), xid: make(map[string]*xidState), now: time.Now}
}

// Name returns "nvml".
func (n *NVML) Name() string { return "nvml" }

// Close shuts NVML down if it was initialised. The source must not be
// used afterwards.
func (n *NVML) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.ready {
		return nil
	}
	n.ready = false
	n.initErr = errors.New("nvml: source closed")
	return n.api.Shutdown()
}

// Sample implements the Source interface. NVML calls do not take a
// context; ctx is checked between GPUs.
func (n *NVML) Sample(ctx context.Context, dst []Sample) ([]Sample, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.initErr != nil {
		return dst, n.initErr
	}
	if !n.ready {
		if err := n.api.Init(); err != nil {
			if nvmlKindOf(err) == nvmlNoLibrary {
				n.initErr = err
			}
			return dst, err
		}
		n.ready = true
	}
	count, err := n.api.DeviceCount()
	if err != nil {
		return dst, err
	}
	if count == 0 {
		return dst, fmt.Errorf("%w: nvml: no device", ErrNoGPU)
	}
	now := n.now()
	var errs []error
	type read struct {
		dev nvmlDevice
		s   Sample
	}
	reads := make([]read, 0, count)
	for i := range count {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("nvml: %w", err))
			break
		}
		dev, err := n.api.Device(i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s, err := readDevice(i, dev)
		if err != nil {
			errs = append(errs, err)
		}
		if s.UUID != "" && !n.watched[s.UUID] && nvmlKindOf(err) != nvmlGPULost {
			// Registered once per GPU; a GPU that does not support it
			// keeps its XID values missing.
			n.watched[s.UUID] = true
			if n.api.WatchXID(dev) == nil {
				n.xid[s.UUID] = &xidState{}
			}
		}
		s.Time = now
		reads = append(reads, read{dev, s})
	}
	n.drainXID()
	for _, r := range reads {
		if x := n.xid[r.s.UUID]; x != nil {
			r.s.LastXID, r.s.XIDErrors = float64(x.last), float64(x.count)
		}
		dst = append(dst, r.s)
	}
	return dst, errors.Join(errs...)
}

// drainXID reads the pending XID events.
func (n *NVML) drainXID() {
	if len(n.xid) == 0 {
		return
	}
	for range maxXIDDrain {
		uuid, code, ok, err := n.api.NextXID()
		if err != nil || !ok {
			return
		}
		if x := n.xid[uuid]; x != nil {
			x.last = code
			x.count++
		}
	}
}

// readDevice reads one GPU. A value NVML does not support is missing; a
// lost GPU is an error (with what could be read).
func readDevice(i int, dev nvmlDevice) (Sample, error) {
	s := EmptySample()
	s.Index = i
	var lost error
	ok := func(err error) bool {
		if err != nil && lost == nil && nvmlKindOf(err) == nvmlGPULost {
			lost = err
		}
		return err == nil
	}
	if v, err := dev.UUID(); ok(err) {
		s.UUID = v
	}
	if v, err := dev.Name(); ok(err) {
		s.Model = v
	}
	if g, m, err := dev.Utilization(); ok(err) {
		s.UtilizationPercent, s.MemoryUtilizationPercent = float64(g), float64(m)
	}
	if used, free, total, err := dev.Memory(); ok(err) {
		s.MemoryUsedBytes, s.MemoryFreeBytes, s.MemoryTotalBytes = float64(used), float64(free), float64(total)
	}
	if v, err := dev.Temperature(); ok(err) {
		s.TemperatureCelsius = float64(v)
	}
	if v, err := dev.Power(); ok(err) {
		s.PowerWatts = float64(v) / 1000
	}
	if v, err := dev.PowerLimit(); ok(err) {
		s.PowerLimitWatts = float64(v) / 1000
	}
	if v, err := dev.SMClock(); ok(err) {
		s.SMClockMHz = float64(v)
	}
	if v, err := dev.MemoryClock(); ok(err) {
		s.MemoryClockMHz = float64(v)
	}
	if v, err := dev.ThrottleReasons(); ok(err) {
		s.ThrottleReasons, s.ThrottleKnown = ThrottleReasons(v), true
	}
	for _, c := range []struct {
		uncorrected, aggregate bool
		dst                    *float64
	}{
		{false, false, &s.ECCCorrectedVolatile},
		{true, false, &s.ECCUncorrectedVolatile},
		{false, true, &s.ECCCorrectedAggregate},
		{true, true, &s.ECCUncorrectedAggregate},
	} {
		if v, err := dev.ECC(c.uncorrected, c.aggregate); ok(err) {
			*c.dst = float64(v)
		}
	}
	return s, lost
}
