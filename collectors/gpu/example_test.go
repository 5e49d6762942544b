package gpu_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/driftwatch/driftwatch/collectors/gpu"
)

func ExampleParseNvidiaSMI() {
	out := []byte(`index, uuid, name, utilization.gpu [%], memory.used [MiB], memory.total [MiB], power.draw [W], temperature.gpu
0, GPU-00000000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, 100 %, 19818 MiB, 81559 MiB, 631.95 W, 59
1, GPU-11111111-1111-1111-1111-111111111111, NVIDIA H100 80GB HBM3, 0 %, 0 MiB, 81559 MiB, [N/A], 31
`)
	samples, err := gpu.ParseNvidiaSMI(out, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range samples {
		fmt.Printf("gpu %d: %.0f%% busy, memory %.3f used, %v W, %v °C\n",
			s.Index, s.UtilizationPercent, s.MemoryUsedRatio(), s.PowerWatts, s.TemperatureCelsius)
	}
	// Output:
	// gpu 0: 100% busy, memory 0.243 used, 631.95 W, 59 °C
	// gpu 1: 0% busy, memory 0.000 used, NaN W, 31 °C
}

// A machine without GPU: the Watcher logs one line and keeps running.
func ExampleWatcher() {
	src := gpu.SourceFunc(func(_ context.Context, dst []gpu.Sample) ([]gpu.Sample, error) {
		return dst, fmt.Errorf("%w: nvml: ERROR_LIBRARY_NOT_FOUND", gpu.ErrNoGPU)
	})
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
	w := gpu.NewWatcher(src, time.Minute, log)
	for range 3 {
		w.Poll(context.Background())
	}
	for _, r := range w.Results(time.Now(), nil) {
		fmt.Println(r.Name, r.Labels, r.Value)
	}
	// Output:
	// level=INFO msg="no GPU: nvml: ERROR_LIBRARY_NOT_FOUND" source=custom
	// gpu_source_up {source="custom"} 0
}
