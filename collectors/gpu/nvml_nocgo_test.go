//go:build !cgo

package gpu

import (
	"context"
	"testing"
)

// TestNVMLNoCgo checks the reason a build without cgo gives.
func TestNVMLNoCgo(t *testing.T) {
	_, err := NewNVML().Sample(context.Background(), nil)
	const want = "no GPU: nvml: built without cgo: NVML unavailable"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}
