package gpu

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// smiH100 returns the GPU of testdata/nvidia-smi-query.csv, with the
// values read from the file.
func smiH100() Sample {
	s := EmptySample()
	s.Index = 0                                         // index 0
	s.UUID = "GPU-00000000-0000-0000-0000-000000000000" // uuid (masked upstream)
	s.Model = "NVIDIA H100 80GB HBM3"                   // name
	s.UtilizationPercent = 100                          // utilization.gpu [%] 100 %
	s.MemoryUtilizationPercent = 11                     // utilization.memory [%] 11 %
	s.MemoryTotalBytes = 81559 * mib                    // memory.total [MiB] 81559 MiB
	s.MemoryUsedBytes = 19818 * mib                     // memory.used [MiB] 19818 MiB
	s.MemoryFreeBytes = 61263 * mib                     // memory.free [MiB] 61263 MiB
	s.TemperatureCelsius = 59                           // temperature.gpu 59
	s.PowerWatts = 631.95                               // power.draw [W] 631.95 W
	s.PowerLimitWatts = 700                             // enforced.power.limit [W] 700.00 W
	s.SMClockMHz = 1980                                 // clocks.current.sm [MHz] 1980 MHz
	s.MemoryClockMHz = 2619                             // clocks.current.memory [MHz] 2619 MHz
	s.ThrottleReasons, s.ThrottleKnown = 0, true        // clocks_event_reasons.active 0x0000000000000000
	s.ECCCorrectedVolatile = 0                          // ecc.errors.corrected.volatile.total 0
	s.ECCUncorrectedVolatile = 0                        // ecc.errors.uncorrected.volatile.total 0
	s.ECCCorrectedAggregate = 0                         // ecc.errors.corrected.aggregate.total 0
	s.ECCUncorrectedAggregate = 0                       // ecc.errors.uncorrected.aggregate.total 0
	// hostname [N/A]; nvidia-smi has no XID field.
	return s
}

func TestParseNvidiaSMIRealFile(t *testing.T) {
	data := readTestdata(t, "nvidia-smi-query.csv")
	if n := len(strings.Split(strings.SplitN(string(data), "\n", 2)[0], ", ")); n != 212 {
		t.Fatalf("the header has %d fields, want 212", n)
	}
	got, err := ParseNvidiaSMI(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSamples(t, got, []Sample{smiH100()})
	if r, want := got[0].MemoryUsedRatio(), 19818.0/81559; r != want {
		t.Errorf("MemoryUsedRatio = %v, want %v", r, want)
	}
}

// smiCSV builds nvidia-smi output from a header and rows of ", "-separated
// fields.
func smiCSV(header string, rows ...string) []byte {
	return []byte(header + "\n" + strings.Join(rows, "\n") + "\n")
}

func TestParseNvidiaSMIValues(t *testing.T) {
	base := func(f func(*Sample)) Sample {
		s := EmptySample()
		s.Index, s.UUID = 0, "GPU-a"
		f(&s)
		return s
	}
	for _, c := range []struct {
		name   string
		header string
		row    string
		want   Sample
	}{
		{
			"units in header and values",
			"index, uuid, memory.used [MiB], power.draw [W], utilization.gpu [%], clocks.current.sm [MHz]",
			"0, GPU-a, 1024 MiB, 70.50 W, 42 %, 1590 MHz",
			base(func(s *Sample) {
				s.MemoryUsedBytes, s.PowerWatts, s.UtilizationPercent, s.SMClockMHz = 1024*mib, 70.5, 42, 1590
			}),
		},
		{
			"nounits: units from the header",
			"index, uuid, memory.used [MiB], power.draw [W], utilization.gpu [%]",
			"0, GPU-a, 1024, 70.50, 42",
			base(func(s *Sample) { s.MemoryUsedBytes, s.PowerWatts, s.UtilizationPercent = 1024*mib, 70.5, 42 }),
		},
		{
			"nounits without unit in the header: default units",
			"index, uuid, memory.used, power.draw",
			"0, GPU-a, 1024, 70.50",
			base(func(s *Sample) { s.MemoryUsedBytes, s.PowerWatts = 1024*mib, 70.5 }),
		},
		{
			"placeholders are missing, not zero",
			"index, uuid, name, memory.used [MiB], power.draw [W], temperature.gpu, utilization.gpu [%], ecc.errors.corrected.volatile.total, clocks_event_reasons.active, hostname",
			"0, GPU-a, [N/A], [N/A], [Not Supported], N/A, [Requested functionality has been deprecated], [Unknown Error], [N/A], [N/A]",
			base(func(*Sample) {}),
		},
		{
			"older names and power fallbacks",
			"index, uuid, clocks.sm [MHz], clocks.mem [MHz], power.draw [W], power.draw.instant [W], power.limit [W], clocks_throttle_reasons.active",
			"0, GPU-a, 585 MHz, 5001 MHz, [N/A], 25.58 W, 300.00 W, 0x0000000000000044",
			base(func(s *Sample) {
				s.SMClockMHz, s.MemoryClockMHz, s.PowerWatts, s.PowerLimitWatts = 585, 5001, 25.58, 300
				s.ThrottleReasons, s.ThrottleKnown = ThrottleSWPowerCap|ThrottleHWThermalSlowdown, true
			}),
		},
		{
			"throttle reasons one column each",
			"index, uuid, clocks_event_reasons.gpu_idle, clocks_event_reasons.sw_power_cap, clocks_event_reasons.hw_slowdown, clocks_event_reasons.hw_thermal_slowdown",
			"0, GPU-a, Not Active, Active, [N/A], Active",
			base(func(s *Sample) {
				s.ThrottleReasons, s.ThrottleKnown = ThrottleSWPowerCap|ThrottleHWThermalSlowdown, true
			}),
		},
		{
			"invalid values are missing and counted",
			"index, uuid, memory.used [MiB], power.draw [W], utilization.gpu [%], ecc.errors.uncorrected.volatile.total, clocks_event_reasons.active, clocks.current.sm [MHz]",
			"0, GPU-a, 12 furlongs, lots W, NaN %, -3, 0xZZ, Inf MHz",
			base(func(s *Sample) { s.Invalid = 6 }),
		},
		{
			"negative temperature is a value",
			"index, uuid, temperature.gpu",
			"0, GPU-a, -2",
			base(func(s *Sample) { s.TemperatureCelsius = -2 }),
		},
		{
			"bad index",
			"index, uuid",
			"first, GPU-a",
			func() Sample { s := EmptySample(); s.UUID, s.Invalid = "GPU-a", 1; return s }(),
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseNvidiaSMI(smiCSV(c.header, c.row), nil)
			if err != nil {
				t.Fatal(err)
			}
			checkSamples(t, got, []Sample{c.want})
		})
	}
}

func TestParseNvidiaSMIRows(t *testing.T) {
	data := []byte("index, uuid, name, utilization.gpu [%]\r\n0, GPU-a, Tesla T4, 3 %\r\n1, GPU-b, Tesla T4, 97 %\r\n")
	got, err := ParseNvidiaSMI(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := EmptySample(), EmptySample()
	a.Index, a.UUID, a.Model, a.UtilizationPercent = 0, "GPU-a", "Tesla T4", 3
	b.Index, b.UUID, b.Model, b.UtilizationPercent = 1, "GPU-b", "Tesla T4", 97
	checkSamples(t, got, []Sample{a, b})

	got, err = ParseNvidiaSMI([]byte("index, uuid\n"), nil)
	if err != nil || len(got) != 0 {
		t.Errorf("header only: %v, %v; want no sample, no error", got, err)
	}
}

func TestParseNvidiaSMIErrors(t *testing.T) {
	for _, c := range []struct{ name, in, err string }{
		{"empty", "", "nvidia-smi: empty output"},
		{"noheader", "0, GPU-a, 100 %\n", "no header"},
		{"ragged", "index, uuid\n0, GPU-a, extra\n", "wrong number of fields"},
		{"bare quote", "index, uuid\n0, GPU-\"a\n1, b\"\n", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseNvidiaSMI([]byte(c.in), nil)
			if c.err == "" {
				return // must not panic; LazyQuotes may accept it
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err = %v, want %q", err, c.err)
			}
		})
	}
}

// fakeRunner answers like nvidia-smi from a table of results by call.
type fakeRunner struct {
	calls   [][]string
	results []func(args []string) ([]byte, error)
}

func (f *fakeRunner) run(_ context.Context, name string, args ...string) ([]byte, error) {
	f.calls = append(f.calls, append([]string{name}, args...))
	i := min(len(f.calls), len(f.results)) - 1
	return f.results[i](args)
}

func TestNvidiaSMISource(t *testing.T) {
	data := readTestdata(t, "nvidia-smi-query.csv")
	f := &fakeRunner{results: []func([]string) ([]byte, error){
		func([]string) ([]byte, error) { return data, nil },
	}}
	n := NewNvidiaSMI("/usr/bin/nvidia-smi", 0, f.run)
	now := time.Date(2026, 7, 14, 8, 12, 53, 0, time.UTC)
	n.now = func() time.Time { return now }
	if n.Name() != "nvidia-smi" {
		t.Errorf("Name() = %q", n.Name())
	}
	got, err := n.Sample(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := smiH100()
	want.Time = now
	checkSamples(t, got, []Sample{want})
	wantArgs := []string{"/usr/bin/nvidia-smi", "--query-gpu=" + strings.Join(smiQueryFields, ","), "--format=csv"}
	if len(f.calls) != 1 || !slices.Equal(f.calls[0], wantArgs) {
		t.Errorf("ran %q, want %q", f.calls, wantArgs)
	}
}

// exitError returns an *exec.ExitError with stderr, from a real failed
// process.
func exitError(t *testing.T, stderr string) error {
	t.Helper()
	err := exec.Command("false").Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Skipf("cannot make an ExitError: %v", err)
	}
	ee.Stderr = []byte(stderr)
	return ee
}

func TestNvidiaSMIInvalidField(t *testing.T) {
	// An R470 driver knows neither clocks_event_reasons.active nor
	// clocks.current.sm: they are replaced by their older names, one by one.
	f := &fakeRunner{}
	f.results = []func([]string) ([]byte, error){
		func(args []string) ([]byte, error) {
			return []byte("Field \"clocks.current.sm\" is not a valid field to query.\n\n"), exitError(t, "")
		},
		func(args []string) ([]byte, error) {
			return nil, exitError(t, "Field \"clocks_event_reasons.active\" is not a valid field to query.\n")
		},
		func(args []string) ([]byte, error) {
			return smiCSV("index, uuid, clocks.sm [MHz], clocks_throttle_reasons.active", "0, GPU-a, 585 MHz, 0x0000000000000001"), nil
		},
	}
	n := NewNvidiaSMI("", 0, f.run)
	got, err := n.Sample(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].SMClockMHz != 585 || got[0].ThrottleReasons != ThrottleGPUIdle {
		t.Errorf("got %+v", got)
	}
	if len(f.calls) != 3 {
		t.Fatalf("%d runs, want 3", len(f.calls))
	}
	last := f.calls[2][1]
	if !strings.Contains(last, ",clocks.sm,") || !strings.Contains(last, ",clocks_throttle_reasons.active,") ||
		strings.Contains(last, "clocks.current.sm") || strings.Contains(last, "clocks_event_reasons") {
		t.Errorf("third query %q", last)
	}
	// The change is kept.
	if _, err := n.Sample(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 4 || f.calls[3][1] != last {
		t.Errorf("fourth query %q, want %q", f.calls[3][1], last)
	}

	// A field without an older name is dropped.
	f = &fakeRunner{results: []func([]string) ([]byte, error){
		func([]string) ([]byte, error) {
			return []byte(`Field "utilization.memory" is not a valid field to query.`), exitError(t, "")
		},
		func([]string) ([]byte, error) { return smiCSV("index, uuid", "0, GPU-a"), nil },
	}}
	n = NewNvidiaSMI("", 0, f.run)
	if _, err := n.Sample(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(f.calls[1][1], "utilization.memory") {
		t.Errorf("second query %q still has the field", f.calls[1][1])
	}
}

func TestNvidiaSMINoGPU(t *testing.T) {
	for _, c := range []struct {
		name string
		run  Runner
		want string
	}{
		{
			"not in PATH",
			func(ctx context.Context, name string, args ...string) ([]byte, error) {
				return nil, &exec.Error{Name: name, Err: exec.ErrNotFound}
			},
			`no GPU: nvidia-smi: exec: "nvidia-smi": executable file not found in $PATH`,
		},
		{
			"no driver",
			func(context.Context, string, ...string) ([]byte, error) {
				return []byte("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n"), exitError(t, "")
			},
			"no GPU: nvidia-smi: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
		},
		{
			"no device",
			func(context.Context, string, ...string) ([]byte, error) {
				return []byte("No devices were found\n"), exitError(t, "")
			},
			"no GPU: nvidia-smi: No devices were found",
		},
		{
			"no row",
			func(context.Context, string, ...string) ([]byte, error) {
				return []byte("index, uuid\n"), nil
			},
			"no GPU: nvidia-smi lists no GPU",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewNvidiaSMI("", 0, c.run).Sample(context.Background(), nil)
			if !errors.Is(err, ErrNoGPU) || err.Error() != c.want {
				t.Errorf("err = %v, want %q", err, c.want)
			}
		})
	}
}

// TestNvidiaSMIMissingBinary runs the real ExecRunner: there is no
// nvidia-smi at these paths.
func TestNvidiaSMIMissingBinary(t *testing.T) {
	for _, path := range []string{"nvidia-smi-driftwatch-test-missing", "/nonexistent/nvidia-smi"} {
		_, err := NewNvidiaSMI(path, 0, nil).Sample(context.Background(), nil)
		if !errors.Is(err, ErrNoGPU) || !strings.HasPrefix(err.Error(), "no GPU: ") {
			t.Errorf("%s: err = %v, want no GPU", path, err)
		}
	}
}

func TestNvidiaSMIFailures(t *testing.T) {
	t.Run("exit status", func(t *testing.T) {
		run := func(context.Context, string, ...string) ([]byte, error) {
			return nil, exitError(t, "Unable to determine the device handle for GPU0000:00:05.0: Unknown Error\nmore\n")
		}
		_, err := NewNvidiaSMI("", 0, run).Sample(context.Background(), nil)
		if err == nil || errors.Is(err, ErrNoGPU) || !strings.Contains(err.Error(), "Unknown Error") || strings.Contains(err.Error(), "more") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		run := func(ctx context.Context, name string, args ...string) ([]byte, error) {
			<-ctx.Done()
			return nil, fmt.Errorf("signal: killed")
		}
		_, err := NewNvidiaSMI("", 20*time.Millisecond, run).Sample(context.Background(), nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
	})
	t.Run("malformed output", func(t *testing.T) {
		run := func(context.Context, string, ...string) ([]byte, error) { return []byte("0, GPU-a\n"), nil }
		_, err := NewNvidiaSMI("", 0, run).Sample(context.Background(), nil)
		if err == nil || errors.Is(err, ErrNoGPU) {
			t.Errorf("err = %v, want a parse error", err)
		}
	})
}
