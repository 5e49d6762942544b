//go:build cgo

package gpu

import (
	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// nvmlLib implements nvmlAPI with go-nvml, which loads libnvidia-ml.so.1
// with dlopen at Init.
type nvmlLib struct {
	lib nvml.Interface
	// eventReasons: the driver has nvmlDeviceGetCurrentClocksEventReasons
	// (R535 and later); older ones only the throttle-reasons call, and
	// calling a symbol the library lacks kills the process.
	eventReasons bool
	events       nvml.EventSet // nil until the first WatchXID
}

func newNVMLLib() nvmlAPI { return &nvmlLib{lib: nvml.New()} }

// nvmlErr converts a return code; op names the call.
func nvmlErr(op string, r nvml.Return) error {
	if r == nvml.SUCCESS {
		return nil
	}
	e := &nvmlError{op: op, code: r.Error()}
	switch r {
	case nvml.ERROR_NOT_SUPPORTED, nvml.ERROR_FUNCTION_NOT_FOUND, nvml.ERROR_NOT_FOUND, nvml.ERROR_NO_DATA:
		e.kind = nvmlNotSupported
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		e.kind = nvmlNoLibrary
		e.code += " (cannot load libnvidia-ml.so.1)"
	case nvml.ERROR_DRIVER_NOT_LOADED:
		e.kind = nvmlNoDriver
	case nvml.ERROR_GPU_IS_LOST, nvml.ERROR_GPU_NOT_FOUND, nvml.ERROR_RESET_REQUIRED:
		e.kind = nvmlGPULost
	case nvml.ERROR_TIMEOUT:
		e.kind = nvmlTimeout
	}
	return e
}

func (l *nvmlLib) Init() error {
	if err := nvmlErr("", l.lib.Init()); err != nil {
		return err
	}
	l.eventReasons = l.lib.Extensions().LookupSymbol("nvmlDeviceGetCurrentClocksEventReasons") == nil
	return nil
}

func (l *nvmlLib) Shutdown() error {
	if l.events != nil {
		l.events.Free()
		l.events = nil
	}
	return nvmlErr("Shutdown", l.lib.Shutdown())
}

func (l *nvmlLib) DeviceCount() (int, error) {
	n, r := l.lib.DeviceGetCount()
	return n, nvmlErr("DeviceGetCount", r)
}

func (l *nvmlLib) Device(i int) (nvmlDevice, error) {
	d, r := l.lib.DeviceGetHandleByIndex(i)
	if r != nvml.SUCCESS {
		return nil, nvmlErr("DeviceGetHandleByIndex", r)
	}
	return nvmlDev{d: d, eventReasons: l.eventReasons}, nil
}

func (l *nvmlLib) WatchXID(dev nvmlDevice) error {
	d := dev.(nvmlDev).d
	supported, r := d.GetSupportedEventTypes()
	if r != nvml.SUCCESS {
		return nvmlErr("GetSupportedEventTypes", r)
	}
	if supported&nvml.EventTypeXidCriticalError == 0 {
		return &nvmlError{op: "RegisterEvents", code: "XID events not supported", kind: nvmlNotSupported}
	}
	if l.events == nil {
		set, r := l.lib.EventSetCreate()
		if r != nvml.SUCCESS {
			return nvmlErr("EventSetCreate", r)
		}
		l.events = set
	}
	return nvmlErr("RegisterEvents", d.RegisterEvents(nvml.EventTypeXidCriticalError, l.events))
}

func (l *nvmlLib) NextXID() (string, uint64, bool, error) {
	if l.events == nil {
		return "", 0, false, nil
	}
	data, r := l.events.Wait(0)
	if r == nvml.ERROR_TIMEOUT {
		return "", 0, false, nil
	}
	if r != nvml.SUCCESS {
		return "", 0, false, nvmlErr("EventSetWait", r)
	}
	if data.EventType&nvml.EventTypeXidCriticalError == 0 || data.Device == nil {
		return "", 0, true, nil
	}
	uuid, r := data.Device.GetUUID()
	if r != nvml.SUCCESS {
		return "", 0, true, nil
	}
	return uuid, data.EventData, true, nil
}

// nvmlDev implements nvmlDevice with a go-nvml device handle.
type nvmlDev struct {
	d            nvml.Device
	eventReasons bool
}

func (d nvmlDev) UUID() (string, error) {
	v, r := d.d.GetUUID()
	return v, nvmlErr("GetUUID", r)
}

func (d nvmlDev) Name() (string, error) {
	v, r := d.d.GetName()
	return v, nvmlErr("GetName", r)
}

func (d nvmlDev) Utilization() (gpu, memory uint32, err error) {
	u, r := d.d.GetUtilizationRates()
	return u.Gpu, u.Memory, nvmlErr("GetUtilizationRates", r)
}

func (d nvmlDev) Memory() (used, free, total uint64, err error) {
	m, r := d.d.GetMemoryInfo()
	return m.Used, m.Free, m.Total, nvmlErr("GetMemoryInfo", r)
}

func (d nvmlDev) Temperature() (uint32, error) {
	v, r := d.d.GetTemperature(nvml.TEMPERATURE_GPU)
	return v, nvmlErr("GetTemperature", r)
}

func (d nvmlDev) Power() (uint32, error) {
	v, r := d.d.GetPowerUsage()
	return v, nvmlErr("GetPowerUsage", r)
}

func (d nvmlDev) PowerLimit() (uint32, error) {
	v, r := d.d.GetEnforcedPowerLimit()
	return v, nvmlErr("GetEnforcedPowerLimit", r)
}

func (d nvmlDev) SMClock() (uint32, error) {
	v, r := d.d.GetClockInfo(nvml.CLOCK_SM)
	return v, nvmlErr("GetClockInfo", r)
}

func (d nvmlDev) MemoryClock() (uint32, error) {
	v, r := d.d.GetClockInfo(nvml.CLOCK_MEM)
	return v, nvmlErr("GetClockInfo", r)
}

func (d nvmlDev) ThrottleReasons() (uint64, error) {
	if d.eventReasons {
		v, r := d.d.GetCurrentClocksEventReasons()
		return v, nvmlErr("GetCurrentClocksEventReasons", r)
	}
	v, r := d.d.GetCurrentClocksThrottleReasons()
	return v, nvmlErr("GetCurrentClocksThrottleReasons", r)
}

func (d nvmlDev) ECC(uncorrected, aggregate bool) (uint64, error) {
	typ, counter := nvml.MEMORY_ERROR_TYPE_CORRECTED, nvml.VOLATILE_ECC
	if uncorrected {
		typ = nvml.MEMORY_ERROR_TYPE_UNCORRECTED
	}
	if aggregate {
		counter = nvml.AGGREGATE_ECC
	}
	v, r := d.d.GetTotalEccErrors(typ, counter)
	return v, nvmlErr("GetTotalEccErrors", r)
}
