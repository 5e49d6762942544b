//go:build !cgo

package gpu

// nvmlStub is the nvmlAPI of a build without cgo: go-nvml needs cgo, so
// Init fails and nothing else is ever called.
type nvmlStub struct{}

func newNVMLLib() nvmlAPI { return nvmlStub{} }

// errNoCgo is permanent: the NVML source never calls Init again.
var errNoCgo = &nvmlError{code: "built without cgo: NVML unavailable", kind: nvmlNoLibrary}

func (nvmlStub) Init() error                            { return errNoCgo }
func (nvmlStub) Shutdown() error                        { return errNoCgo }
func (nvmlStub) DeviceCount() (int, error)              { return 0, errNoCgo }
func (nvmlStub) Device(int) (nvmlDevice, error)         { return nil, errNoCgo }
func (nvmlStub) WatchXID(nvmlDevice) error              { return errNoCgo }
func (nvmlStub) NextXID() (string, uint64, bool, error) { return "", 0, false, errNoCgo }
