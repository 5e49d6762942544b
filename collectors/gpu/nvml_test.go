package gpu

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The fake NVML. Every method is implemented (unlike go-nvml's mocks,
// which panic on unset functions) and each call is recorded.

var (
	errNotSupported = &nvmlError{op: "fake", code: "ERROR_NOT_SUPPORTED", kind: nvmlNotSupported}
	errGPULost      = &nvmlError{op: "fake", code: "ERROR_GPU_IS_LOST", kind: nvmlGPULost}
)

type fakeDevice struct {
	uuid, name        string
	util, memUtil     uint32
	used, free, total uint64
	temp              uint32
	powerMW, limitMW  uint32
	smMHz, memMHz     uint32
	reasons           uint64
	ecc               [4]uint64 // corrected volatile, uncorrected volatile, corrected aggregate, uncorrected aggregate
	fail              map[string]error
	noXID             bool
}

func (d *fakeDevice) err(m string) error { return d.fail[m] }

func (d *fakeDevice) UUID() (string, error) { return d.uuid, d.err("UUID") }
func (d *fakeDevice) Name() (string, error) { return d.name, d.err("Name") }
func (d *fakeDevice) Utilization() (uint32, uint32, error) {
	return d.util, d.memUtil, d.err("Utilization")
}
func (d *fakeDevice) Memory() (uint64, uint64, uint64, error) {
	return d.used, d.free, d.total, d.err("Memory")
}
func (d *fakeDevice) Temperature() (uint32, error)     { return d.temp, d.err("Temperature") }
func (d *fakeDevice) Power() (uint32, error)           { return d.powerMW, d.err("Power") }
func (d *fakeDevice) PowerLimit() (uint32, error)      { return d.limitMW, d.err("PowerLimit") }
func (d *fakeDevice) SMClock() (uint32, error)         { return d.smMHz, d.err("SMClock") }
func (d *fakeDevice) MemoryClock() (uint32, error)     { return d.memMHz, d.err("MemoryClock") }
func (d *fakeDevice) ThrottleReasons() (uint64, error) { return d.reasons, d.err("ThrottleReasons") }
func (d *fakeDevice) ECC(uncorrected, aggregate bool) (uint64, error) {
	i := 0
	if uncorrected {
		i++
	}
	if aggregate {
		i += 2
	}
	return d.ecc[i], d.err("ECC")
}

type fakeXID struct {
	uuid string
	xid  uint64
}

type fakeNVML struct {
	initErr  []error // returned by successive Init calls; nil when exhausted
	countErr error
	devices  []*fakeDevice
	xids     []fakeXID // pending events
	calls    []string
}

func (f *fakeNVML) Init() error {
	f.calls = append(f.calls, "Init")
	if len(f.initErr) == 0 {
		return nil
	}
	err := f.initErr[0]
	f.initErr = f.initErr[1:]
	return err
}

func (f *fakeNVML) Shutdown() error {
	f.calls = append(f.calls, "Shutdown")
	return nil
}

func (f *fakeNVML) DeviceCount() (int, error) {
	f.calls = append(f.calls, "DeviceCount")
	return len(f.devices), f.countErr
}

func (f *fakeNVML) Device(i int) (nvmlDevice, error) {
	f.calls = append(f.calls, "Device")
	return f.devices[i], nil
}

func (f *fakeNVML) WatchXID(dev nvmlDevice) error {
	f.calls = append(f.calls, "WatchXID")
	if dev.(*fakeDevice).noXID {
		return errNotSupported
	}
	return nil
}

func (f *fakeNVML) NextXID() (string, uint64, bool, error) {
	f.calls = append(f.calls, "NextXID")
	if len(f.xids) == 0 {
		return "", 0, false, nil
	}
	e := f.xids[0]
	f.xids = f.xids[1:]
	return e.uuid, e.xid, true, nil
}

func a100() *fakeDevice {
	return &fakeDevice{
		uuid: "GPU-a", name: "NVIDIA A100-SXM4-80GB",
		util: 87, memUtil: 40,
		used: 70 << 30, free: 10 << 30, total: 80 << 30,
		temp: 71, powerMW: 312_456, limitMW: 400_000,
		smMHz: 1410, memMHz: 1593,
		reasons: uint64(ThrottleSWPowerCap),
		ecc:     [4]uint64{5, 0, 120, 1},
	}
}

func TestNVMLSource(t *testing.T) {
	t4 := &fakeDevice{
		uuid: "GPU-b", name: "Tesla T4", noXID: true,
		fail: map[string]error{
			"Utilization": errNotSupported, "PowerLimit": errNotSupported,
			"ThrottleReasons": errNotSupported, "ECC": errNotSupported,
		},
	}
	f := &fakeNVML{devices: []*fakeDevice{a100(), t4}}
	n := newNVML(f)
	now := time.Date(2026, 7, 14, 8, 0, 0, 0, time.UTC)
	n.now = func() time.Time { return now }

	got, err := n.Sample(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a := EmptySample()
	a.Time, a.Index, a.UUID, a.Model = now, 0, "GPU-a", "NVIDIA A100-SXM4-80GB"
	a.UtilizationPercent, a.MemoryUtilizationPercent = 87, 40
	a.MemoryUsedBytes, a.MemoryFreeBytes, a.MemoryTotalBytes = 70<<30, 10<<30, 80<<30
	a.TemperatureCelsius, a.PowerWatts, a.PowerLimitWatts = 71, 312.456, 400
	a.SMClockMHz, a.MemoryClockMHz = 1410, 1593
	a.ThrottleReasons, a.ThrottleKnown = ThrottleSWPowerCap, true
	a.ECCCorrectedVolatile, a.ECCUncorrectedVolatile, a.ECCCorrectedAggregate, a.ECCUncorrectedAggregate = 5, 0, 120, 1
	a.LastXID, a.XIDErrors = 0, 0 // watched, none yet
	b := EmptySample()
	b.Time, b.Index, b.UUID, b.Model = now, 1, "GPU-b", "Tesla T4"
	b.MemoryUsedBytes, b.MemoryFreeBytes, b.MemoryTotalBytes = 0, 0, 0
	b.TemperatureCelsius, b.PowerWatts, b.SMClockMHz, b.MemoryClockMHz = 0, 0, 0, 0
	// Not supported: utilization, power limit, throttle reasons, ECC, XID.
	checkSamples(t, got, []Sample{a, b})

	// XID events arrive: 2 on GPU-a, one on an unknown GPU (ignored).
	f.xids = []fakeXID{{"GPU-a", 13}, {"GPU-x", 31}, {"GPU-a", 79}}
	got, err = n.Sample(context.Background(), got[:0])
	if err != nil {
		t.Fatal(err)
	}
	if got[0].LastXID != 79 || got[0].XIDErrors != 2 {
		t.Errorf("GPU-a XID: last %v count %v, want 79 and 2", got[0].LastXID, got[0].XIDErrors)
	}
	if got[1].LastXID == got[1].LastXID {
		t.Errorf("GPU-b XID %v, want missing (not supported)", got[1].LastXID)
	}
	// The last XID stays until restart; the count does not grow.
	got, _ = n.Sample(context.Background(), got[:0])
	if got[0].LastXID != 79 || got[0].XIDErrors != 2 {
		t.Errorf("GPU-a XID later: last %v count %v, want 79 and 2", got[0].LastXID, got[0].XIDErrors)
	}

	if c := count(f.calls, "Init"); c != 1 {
		t.Errorf("Init called %d times, want 1", c)
	}
	if c := count(f.calls, "WatchXID"); c != 2 {
		t.Errorf("WatchXID called %d times, want once per GPU", c)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if f.calls[len(f.calls)-1] != "Shutdown" {
		t.Errorf("Close did not shut NVML down: %q", f.calls)
	}
	if _, err := n.Sample(context.Background(), nil); err == nil {
		t.Error("Sample after Close succeeded")
	}
}

func count(calls []string, name string) int {
	n := 0
	for _, c := range calls {
		if c == name {
			n++
		}
	}
	return n
}

func TestNVMLInitFailures(t *testing.T) {
	t.Run("no library: permanent, nothing else called", func(t *testing.T) {
		f := &fakeNVML{initErr: []error{&nvmlError{code: "ERROR_LIBRARY_NOT_FOUND", kind: nvmlNoLibrary}}}
		n := newNVML(f)
		for range 3 {
			_, err := n.Sample(context.Background(), nil)
			if !errors.Is(err, ErrNoGPU) || err.Error() != "no GPU: nvml: ERROR_LIBRARY_NOT_FOUND" {
				t.Fatalf("err = %v", err)
			}
		}
		if !slices.Equal(f.calls, []string{"Init"}) {
			t.Errorf("calls %q, want Init only", f.calls)
		}
		if err := n.Close(); err != nil || len(f.calls) != 1 {
			t.Errorf("Close: %v, calls %q: a failed Init must not be shut down", err, f.calls)
		}
	})
	t.Run("driver not loaded: retried", func(t *testing.T) {
		f := &fakeNVML{
			initErr: []error{&nvmlError{code: "ERROR_DRIVER_NOT_LOADED", kind: nvmlNoDriver}},
			devices: []*fakeDevice{a100()},
		}
		n := newNVML(f)
		if _, err := n.Sample(context.Background(), nil); !errors.Is(err, ErrNoGPU) {
			t.Fatalf("err = %v, want no GPU", err)
		}
		got, err := n.Sample(context.Background(), nil)
		if err != nil || len(got) != 1 {
			t.Fatalf("second Sample: %v, %v", got, err)
		}
		if count(f.calls, "Init") != 2 {
			t.Errorf("calls %q", f.calls)
		}
	})
	t.Run("no device", func(t *testing.T) {
		_, err := newNVML(&fakeNVML{}).Sample(context.Background(), nil)
		if !errors.Is(err, ErrNoGPU) || err.Error() != "no GPU: nvml: no device" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("count fails", func(t *testing.T) {
		f := &fakeNVML{countErr: &nvmlError{op: "DeviceGetCount", code: "ERROR_UNKNOWN"}}
		_, err := newNVML(f).Sample(context.Background(), nil)
		if err == nil || errors.Is(err, ErrNoGPU) || err.Error() != "nvml: DeviceGetCount: ERROR_UNKNOWN" {
			t.Errorf("err = %v", err)
		}
	})
}

func TestNVMLGPULost(t *testing.T) {
	lost := a100()
	lost.uuid = "GPU-lost"
	lost.fail = map[string]error{"Utilization": errGPULost, "Memory": errGPULost, "Temperature": errGPULost}
	f := &fakeNVML{devices: []*fakeDevice{a100(), lost}}
	got, err := newNVML(f).Sample(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "ERROR_GPU_IS_LOST") || errors.Is(err, ErrNoGPU) {
		t.Errorf("err = %v, want GPU lost", err)
	}
	if len(got) != 2 || got[1].UUID != "GPU-lost" || got[1].UtilizationPercent == got[1].UtilizationPercent {
		t.Errorf("samples %+v: want both, the lost one without utilisation", got)
	}
	if count(f.calls, "WatchXID") != 1 {
		t.Errorf("WatchXID called %d times, want once (not on the lost GPU)", count(f.calls, "WatchXID"))
	}
}

// recordingNVML wraps an nvmlAPI and records the calls made through it.
type recordingNVML struct {
	api   nvmlAPI
	calls []string
}

func (r *recordingNVML) Init() error {
	r.calls = append(r.calls, "Init")
	return r.api.Init()
}

func (r *recordingNVML) Shutdown() error {
	r.calls = append(r.calls, "Shutdown")
	return r.api.Shutdown()
}

func (r *recordingNVML) DeviceCount() (int, error) {
	r.calls = append(r.calls, "DeviceCount")
	return r.api.DeviceCount()
}

func (r *recordingNVML) Device(i int) (nvmlDevice, error) {
	r.calls = append(r.calls, "Device")
	return r.api.Device(i)
}

func (r *recordingNVML) WatchXID(dev nvmlDevice) error {
	r.calls = append(r.calls, "WatchXID")
	return r.api.WatchXID(dev)
}

func (r *recordingNVML) NextXID() (string, uint64, bool, error) {
	r.calls = append(r.calls, "NextXID")
	return r.api.NextXID()
}

// TestNVMLAbsent runs the real NVML of this build on this machine, which
// has no GPU and no libnvidia-ml: Init fails cleanly, the source reports
// no GPU at every Sample, and nothing but Init is ever called (anything
// else would kill the process). nvml_cgo_test.go and nvml_nocgo_test.go
// check the reason of each build.
func TestNVMLAbsent(t *testing.T) {
	rec := &recordingNVML{api: newNVMLLib()}
	n := newNVML(rec)
	var first error
	for i := range 3 {
		_, err := n.Sample(context.Background(), nil)
		if err == nil {
			t.Skip("NVML works here: this machine has a GPU")
		}
		if !errors.Is(err, ErrNoGPU) || !strings.HasPrefix(err.Error(), "no GPU: nvml: ") {
			t.Fatalf("Sample %d: err = %v, want no GPU", i, err)
		}
		if i == 0 {
			first = err
		} else if err.Error() != first.Error() {
			t.Errorf("Sample %d: err %v, want the first one, %v", i, err, first)
		}
	}
	if err := n.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	// Init once without the library; with it but without a driver, Init
	// is tried again at each Sample.
	if len(rec.calls) == 0 || slices.ContainsFunc(rec.calls, func(c string) bool { return c != "Init" }) ||
		strings.Contains(first.Error(), "ERROR_LIBRARY_NOT_FOUND") && len(rec.calls) != 1 {
		t.Errorf("calls %q, want Init only (once when the library is missing)", rec.calls)
	}
	t.Log(first)

	// NewNVML is the same path.
	if _, err := NewNVML().Sample(context.Background(), nil); !errors.Is(err, ErrNoGPU) || err.Error() != first.Error() {
		t.Errorf("NewNVML().Sample: %v, want %v", err, first)
	}
}
