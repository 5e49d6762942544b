package gpu

import (
	"math"
	"reflect"
	"testing"
	"unicode/utf8"
)

// checkFuzzSamples checks what holds for the samples of any input: every
// measurement is NaN or finite, not negative (temperatures aside), below
// DCGM's blank sentinels; the index is -1 or more; a throttle mask is only
// set when known; identity strings are UTF-8, as metric labels must be.
func checkFuzzSamples(t *testing.T, samples []Sample) {
	t.Helper()
	for i, s := range samples {
		if s.Index < -1 || s.Invalid < 0 {
			t.Fatalf("sample %d: index %d, invalid %d", i, s.Index, s.Invalid)
		}
		if !s.ThrottleKnown && s.ThrottleReasons != 0 {
			t.Fatalf("sample %d: throttle reasons %d without ThrottleKnown", i, s.ThrottleReasons)
		}
		v := reflect.ValueOf(s)
		for j := range v.NumField() {
			f, name := v.Field(j), v.Type().Field(j).Name
			switch f.Kind() {
			case reflect.Float64:
				x := f.Float()
				if math.IsNaN(x) {
					continue
				}
				if math.IsInf(x, 0) || x < 0 && name != "TemperatureCelsius" || x >= dcgmFP64Blank*mib {
					t.Fatalf("sample %d: %s = %v", i, name, x)
				}
			case reflect.String:
				if !utf8.ValidString(f.String()) {
					t.Fatalf("sample %d: %s %q is not UTF-8", i, name, f.String())
				}
			}
		}
	}
}

func FuzzParseDCGM(f *testing.F) {
	real := readTestdata(f, "dcgm-exporter-metrics.txt")
	f.Add(real)
	f.Add(append(real[:len(real):len(real)], '\n'))
	f.Add([]byte(dcgmHeader + `DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",pod="p",namespace="n",container="c",GPU_I_ID="1"} 9223372036854775794` + "\n"))
	f.Add([]byte("# TYPE DCGM_FI_DEV_FB_USED gauge\nDCGM_FI_DEV_FB_USED{gpu=\"x\",uuid=\"GPU-a\"} -1\n"))
	f.Add([]byte("# TYPE DCGM_FI_DEV_CLOCK_THROTTLE_REASONS gauge\nDCGM_FI_DEV_CLOCK_THROTTLE_REASONS{gpu=\"0\"} 1.5"))
	f.Add([]byte(`{"DCGM_FI_DEV_GPU_TEMP",gpu="0"} NaN`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keep := EmptySample()
		keep.UUID = "kept"
		in := append([]byte(nil), data...)
		got, err := ParseDCGM(data, []Sample{keep})
		if string(in) != string(data) {
			t.Fatal("ParseDCGM modified its input")
		}
		if len(got) == 0 || got[0].UUID != "kept" {
			t.Fatal("ParseDCGM lost dst")
		}
		if err != nil && len(got) != 1 {
			t.Fatalf("%d samples with error %v", len(got)-1, err)
		}
		checkFuzzSamples(t, got[1:])
	})
}

func FuzzParseNvidiaSMI(f *testing.F) {
	f.Add(readTestdata(f, "nvidia-smi-query.csv"))
	f.Add(smiCSV("index, uuid, memory.used [MiB], power.draw [W], clocks_event_reasons.active",
		"0, GPU-a, 1024 MiB, [N/A], 0x0000000000000044", "1, GPU-b, 12 GiB, 70 mW, [Not Supported]"))
	f.Add(smiCSV("index, uuid, clocks_throttle_reasons.hw_slowdown, temperature.gpu", "0, GPU-a, Active, -3"))
	f.Add([]byte("index, uuid\n0, \"GPU\"a\"\n"))
	f.Add([]byte("uuid\n\xff\xfe\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseNvidiaSMI(data, nil)
		if err != nil && len(got) > len(data) {
			t.Fatalf("%d samples from %d bytes", len(got), len(data))
		}
		checkFuzzSamples(t, got)
	})
}
