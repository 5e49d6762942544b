//go:build cgo

package gpu

import (
	"context"
	"strings"
	"testing"
)

// TestNVMLRealInit checks that the cgo build goes through go-nvml's Init,
// which without libnvidia-ml.so.1 returns ERROR_LIBRARY_NOT_FOUND.
func TestNVMLRealInit(t *testing.T) {
	lib, ok := newNVMLLib().(*nvmlLib)
	if !ok {
		t.Fatalf("newNVMLLib() is %T, want the go-nvml adapter", newNVMLLib())
	}
	n := newNVML(lib)
	_, err := n.Sample(context.Background(), nil)
	if err == nil {
		t.Skip("NVML works here: this machine has a GPU")
	}
	const want = "no GPU: nvml: ERROR_LIBRARY_NOT_FOUND (cannot load libnvidia-ml.so.1)"
	if strings.Contains(err.Error(), "ERROR_DRIVER_NOT_LOADED") {
		t.Skipf("libnvidia-ml is installed here, without a driver: %v", err)
	}
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if lib.events != nil {
		t.Error("an event set was created after a failed Init")
	}
}
