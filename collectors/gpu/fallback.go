package gpu

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// FirstAvailable returns a Source that asks srcs in order at every Sample
// and answers with the first that does not report ErrNoGPU; when all do,
// it reports ErrNoGPU with every reason. It is the "auto" source: NVML,
// then nvidia-smi.
func FirstAvailable(srcs ...Source) Source {
	return &firstAvailable{srcs: srcs, name: "auto"}
}

type firstAvailable struct {
	srcs []Source
	name string // of the source that answered last
}

// Name returns the name of the source that answered the last Sample, or
// "auto" when none did.
func (f *firstAvailable) Name() string { return f.name }

// Close closes the sources that have a Close method.
func (f *firstAvailable) Close() error {
	var errs []error
	for _, s := range f.srcs {
		if c, ok := s.(interface{ Close() error }); ok {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

// Sample implements the Source interface.
func (f *firstAvailable) Sample(ctx context.Context, dst []Sample) ([]Sample, error) {
	n := len(dst)
	reasons := make([]string, 0, len(f.srcs))
	for _, s := range f.srcs {
		out, err := s.Sample(ctx, dst[:n])
		if err == nil || !errors.Is(err, ErrNoGPU) {
			f.name = sourceName(s)
			return out, err
		}
		reasons = append(reasons, strings.TrimPrefix(err.Error(), ErrNoGPU.Error()+": "))
	}
	f.name = "auto"
	if len(reasons) == 0 {
		reasons = append(reasons, "no source")
	}
	return dst[:n], fmt.Errorf("%w: %s", ErrNoGPU, strings.Join(reasons, "; "))
}
