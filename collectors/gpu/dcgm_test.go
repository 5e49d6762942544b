package gpu

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// dcgmT4 returns the two GPUs of testdata/dcgm-exporter-metrics.txt, with
// the values read from the file.
func dcgmT4() []Sample {
	a := EmptySample() // driver 460.106.00 capture
	a.Index, a.UUID, a.Model, a.Hostname = 0, "GPU-20c56d28-0da5-6d26-a36a-e7af1ce2586e", "Tesla T4", "424773df46e0"
	a.SMClockMHz = 300                    // DCGM_FI_DEV_SM_CLOCK 300
	a.MemoryClockMHz = 405                // DCGM_FI_DEV_MEM_CLOCK 405
	a.TemperatureCelsius = 25             // DCGM_FI_DEV_GPU_TEMP 25
	a.PowerWatts = 8.969                  // DCGM_FI_DEV_POWER_USAGE 8.969000
	a.UtilizationPercent = 0              // DCGM_FI_DEV_GPU_UTIL 0
	a.MemoryUtilizationPercent = 0        // DCGM_FI_DEV_MEM_COPY_UTIL 0
	a.LastXID = 0                         // DCGM_FI_DEV_XID_ERRORS 0
	a.MemoryFreeBytes = 15109 * (1 << 20) // DCGM_FI_DEV_FB_FREE 15109 (MiB)
	a.MemoryUsedBytes = 0                 // DCGM_FI_DEV_FB_USED 0

	b := EmptySample() // driver 470.182.03 capture
	b.Index, b.UUID, b.Model, b.Hostname = 0, "GPU-9ef1b6d0-3643-5dd7-b823-c0ec20dcf2d5", "Tesla T4", "551bdf382151"
	b.PowerLimitWatts = 70                                     // DCGM_FI_DEV_POWER_MGMT_LIMIT 70.000000
	b.MemoryTotalBytes = 15109 * (1 << 20)                     // DCGM_FI_DEV_FB_TOTAL 15109 (MiB)
	b.ThrottleReasons, b.ThrottleKnown = ThrottleGPUIdle, true // DCGM_FI_DEV_CLOCK_THROTTLE_REASONS 1
	return []Sample{a, b}
}

func TestParseDCGMRealFile(t *testing.T) {
	got, err := ParseDCGM(readTestdata(t, "dcgm-exporter-metrics.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	checkSamples(t, got, dcgmT4())
	if r := got[0].MemoryUsedRatio(); r != 0 {
		t.Errorf("MemoryUsedRatio of %s = %v, want 0 (FB_USED 0 of FB_USED+FB_FREE)", got[0].UUID, r)
	}
}

// TestParseDCGMTrailingNewline keeps the quirk of the real file: it ends
// without a newline, which expfmt reports as an error after returning
// every family.
func TestParseDCGMTrailingNewline(t *testing.T) {
	raw := readTestdata(t, "dcgm-exporter-metrics.txt")
	if raw[len(raw)-1] == '\n' {
		t.Fatal("the capture now ends with a newline: this test lost its case")
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(raw))
	if err == nil || !strings.Contains(err.Error(), "unexpected end of input stream") {
		t.Errorf("expfmt on the raw capture: err %v, want unexpected end of input stream", err)
	}
	if len(families) != 23 {
		t.Errorf("expfmt on the raw capture: %d families, want 23", len(families))
	}

	for _, c := range []struct {
		name string
		data []byte
	}{
		{"without newline", raw},
		{"with newline", append(bytes.Clone(raw), '\n')},
		{"with blank lines at the end", append(bytes.Clone(raw), "\n\n"...)},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := bytes.Clone(c.data)
			got, err := ParseDCGM(c.data, nil)
			if err != nil {
				t.Fatal(err)
			}
			checkSamples(t, got, dcgmT4())
			if !bytes.Equal(c.data, before) {
				t.Error("ParseDCGM modified its input")
			}
		})
	}
}

const dcgmHeader = "# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n"

func TestParseDCGMBlankSentinels(t *testing.T) {
	for _, c := range []struct {
		name, value string
		missing     bool
	}{
		{"int64 blank", "9223372036854775792", true},            // DCGM_INT64_BLANK
		{"int64 not found", "9223372036854775794", true},        // DCGM_INT64_NOT_FOUND
		{"int64 max", "9223372036854775807", true},              //
		{"int64 blank as float", "9.223372036854776e+18", true}, //
		{"int32 blank", "2147483632", true},                     // DCGM_INT32_BLANK
		{"int32 not supported", "2147483634", true},             // DCGM_INT32_NOT_SUPPORTED
		{"fp64 blank", "140737488355328", true},                 // DCGM_FP64_BLANK
		{"fp64 not supported", "140737488355330.000000", true},  //
		{"NaN", "NaN", true},
		{"zero", "0", false},
		{"hundred", "100", false},
		{"just below int32 blank", "2147483631", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := dcgmHeader + `DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-x"} ` + c.value + "\n"
			got, err := ParseDCGM([]byte(in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d samples, want 1", len(got))
			}
			if isNaN := got[0].UtilizationPercent != got[0].UtilizationPercent; isNaN != c.missing {
				t.Errorf("utilization %v: missing %v, want %v", got[0].UtilizationPercent, isNaN, c.missing)
			}
			if got[0].Invalid != 0 {
				t.Errorf("Invalid = %d, want 0", got[0].Invalid)
			}
		})
	}
}

func TestParseDCGMLabels(t *testing.T) {
	in := dcgmHeader +
		// A newer exporter in Kubernetes mode: lowercase hostname, pod
		// attribution, two pods sharing GPU 1 by time-slicing.
		`DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b",pci_bus_id="00000000:00:05.0",device="nvidia1",modelName="NVIDIA A100-SXM4-40GB",hostname="node-1",container="triton",namespace="ml",pod="rerank-7d9f",pod_uid=""} 42` + "\n" +
		`DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-b",device="nvidia1",modelName="NVIDIA A100-SXM4-40GB",hostname="node-1",container="triton",namespace="ml",pod="search-5c4b"} 42` + "\n" +
		// MIG instance 3 of GPU 0.
		`DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a",modelName="NVIDIA A100-SXM4-40GB",hostname="node-1",GPU_I_PROFILE="1g.5gb",GPU_I_ID="3"} 7` + "\n" +
		// dcgm-exporter 1.x attribution labels.
		`DCGM_FI_DEV_GPU_UTIL{gpu="2",UUID="GPU-c",modelName="Tesla V100",Hostname="node-1",container_name="c",pod_namespace="ns",pod_name="p"} 1` + "\n" +
		// No identity: skipped.
		`DCGM_FI_DEV_GPU_UTIL{device="nvswitch0"} 5` + "\n" +
		// Not a field read, and not DCGM: ignored.
		"# TYPE go_goroutines gauge\ngo_goroutines{gpu=\"0\",UUID=\"GPU-a\"} 12\n"
	got, err := ParseDCGM([]byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	sample := func(index int, uuid, model, instance, host, ns, pod, ctr string, util float64) Sample {
		s := EmptySample()
		s.Index, s.UUID, s.Model, s.GPUInstance, s.Hostname = index, uuid, model, instance, host
		s.Namespace, s.Pod, s.Container = ns, pod, ctr
		s.UtilizationPercent = util
		return s
	}
	checkSamples(t, got, []Sample{
		sample(0, "GPU-a", "NVIDIA A100-SXM4-40GB", "3", "node-1", "", "", "", 7),
		sample(1, "GPU-b", "NVIDIA A100-SXM4-40GB", "", "node-1", "ml", "rerank-7d9f", "triton", 42),
		sample(1, "GPU-b", "NVIDIA A100-SXM4-40GB", "", "node-1", "ml", "search-5c4b", "triton", 42),
		sample(2, "GPU-c", "Tesla V100", "", "node-1", "ns", "p", "c", 1),
	})
}

func TestParseDCGMFields(t *testing.T) {
	in := `# TYPE DCGM_FI_DEV_CLOCKS_EVENT_REASONS gauge
DCGM_FI_DEV_CLOCKS_EVENT_REASONS{gpu="0",UUID="GPU-a"} 68
# TYPE DCGM_FI_DEV_CLOCK_THROTTLE_REASONS gauge
DCGM_FI_DEV_CLOCK_THROTTLE_REASONS{gpu="0",UUID="GPU-a"} 1
# TYPE DCGM_FI_DEV_ENFORCED_POWER_LIMIT gauge
DCGM_FI_DEV_ENFORCED_POWER_LIMIT{gpu="0",UUID="GPU-a"} 300
# TYPE DCGM_FI_DEV_POWER_MGMT_LIMIT gauge
DCGM_FI_DEV_POWER_MGMT_LIMIT{gpu="0",UUID="GPU-a"} 400
# TYPE DCGM_FI_DEV_ECC_SBE_VOL_TOTAL counter
DCGM_FI_DEV_ECC_SBE_VOL_TOTAL{gpu="0",UUID="GPU-a"} 3
# TYPE DCGM_FI_DEV_ECC_DBE_VOL_TOTAL counter
DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{gpu="0",UUID="GPU-a"} 1
# TYPE DCGM_FI_DEV_ECC_SBE_AGG_TOTAL counter
DCGM_FI_DEV_ECC_SBE_AGG_TOTAL{gpu="0",UUID="GPU-a"} 30
# TYPE DCGM_FI_DEV_ECC_DBE_AGG_TOTAL counter
DCGM_FI_DEV_ECC_DBE_AGG_TOTAL{gpu="0",UUID="GPU-a"} 2
# TYPE DCGM_FI_DEV_XID_ERRORS gauge
DCGM_FI_DEV_XID_ERRORS{gpu="0",UUID="GPU-a",err_code="79",err_msg="GPU has fallen off the bus"} 79
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{gpu="0",UUID="GPU-a"} 39000
# TYPE DCGM_FI_DEV_FB_FREE gauge
DCGM_FI_DEV_FB_FREE{gpu="0",UUID="GPU-a"} 1000
# TYPE DCGM_FI_DEV_FB_TOTAL gauge
DCGM_FI_DEV_FB_TOTAL{gpu="0",UUID="GPU-a"} 40960
# TYPE DCGM_FI_DEV_GPU_TEMP gauge
DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-a"} -5
# TYPE DCGM_FI_DEV_POWER_USAGE gauge
DCGM_FI_DEV_POWER_USAGE{gpu="0",UUID="GPU-a"} -1
# TYPE DCGM_FI_DEV_SM_CLOCK gauge
DCGM_FI_DEV_SM_CLOCK{gpu="0",UUID="GPU-a"} +Inf
`
	got, err := ParseDCGM([]byte(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := EmptySample()
	want.Index, want.UUID = 0, "GPU-a"
	// The current names win over the older ones.
	want.ThrottleReasons, want.ThrottleKnown = ThrottleSWPowerCap|ThrottleHWThermalSlowdown, true
	want.PowerLimitWatts = 300
	want.ECCCorrectedVolatile, want.ECCUncorrectedVolatile = 3, 1
	want.ECCCorrectedAggregate, want.ECCUncorrectedAggregate = 30, 2
	want.LastXID = 79
	want.MemoryUsedBytes, want.MemoryFreeBytes, want.MemoryTotalBytes = 39000*mib, 1000*mib, 40960*mib
	want.TemperatureCelsius = -5 // may be negative
	want.Invalid = 2             // negative power, infinite clock
	checkSamples(t, got, []Sample{want})
}

func TestParseDCGMErrors(t *testing.T) {
	for _, c := range []struct {
		name, in string
		samples  int
	}{
		{"garbage", "not { metrics", 0},
		{"bad value after a good family", dcgmHeader + `DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-a"} 5` + "\n# TYPE DCGM_FI_DEV_GPU_TEMP gauge\nDCGM_FI_DEV_GPU_TEMP{gpu=\"0\",UUID=\"GPU-a\"} hot\n", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDCGM([]byte(c.in), nil)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), "dcgm: parse metrics: ") {
				t.Errorf("error %q", err)
			}
			if len(got) != c.samples {
				t.Errorf("%d samples, want %d", len(got), c.samples)
			}
		})
	}
	got, err := ParseDCGM(nil, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("empty input: %v, %v; want no sample, no error", got, err)
	}
}

// dcgmServer serves body at /metrics like dcgm-exporter, checking that the
// scraper asks for the text format.
func dcgmServer(t *testing.T, status int, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		if !strings.HasPrefix(r.Header.Get("Accept"), "text/plain") {
			http.Error(w, "want text/plain", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDCGMSource(t *testing.T) {
	srv := dcgmServer(t, http.StatusOK, readTestdata(t, "dcgm-exporter-metrics.txt"))
	d, err := NewDCGM(srv.URL+"/metrics", time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 7, 14, 8, 12, 53, 0, time.UTC)
	d.now = func() time.Time { return now }
	if d.Name() != "dcgm" {
		t.Errorf("Name() = %q", d.Name())
	}
	keep := EmptySample()
	keep.UUID = "kept"
	for range 2 { // the buffer is reused
		got, err := d.Sample(context.Background(), []Sample{keep})
		if err != nil {
			t.Fatal(err)
		}
		want := append([]Sample{keep}, dcgmT4()...)
		want[1].Time, want[2].Time = now, now
		checkSamples(t, got, want)
	}
}

func TestDCGMSourceErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("status", func(t *testing.T) {
		srv := dcgmServer(t, http.StatusServiceUnavailable, []byte("starting"))
		d, _ := NewDCGM(srv.URL+"/metrics", time.Second, nil)
		_, err := d.Sample(ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "503") || errors.Is(err, ErrNoGPU) {
			t.Errorf("err = %v, want a 503 error", err)
		}
	})
	t.Run("no GPU metric", func(t *testing.T) {
		srv := dcgmServer(t, http.StatusOK, []byte("# TYPE go_goroutines gauge\ngo_goroutines 7\n"))
		d, _ := NewDCGM(srv.URL+"/metrics", time.Second, nil)
		_, err := d.Sample(ctx, nil)
		if !errors.Is(err, ErrNoGPU) || !strings.HasPrefix(err.Error(), "no GPU: ") {
			t.Errorf("err = %v, want no GPU", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		srv := dcgmServer(t, http.StatusOK, bytes.Repeat([]byte("# padding\n"), MaxScrapeBytes/10+1))
		d, _ := NewDCGM(srv.URL+"/metrics", time.Second, nil)
		_, err := d.Sample(ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("err = %v, want too large", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		d, _ := NewDCGM(srv.URL+"/metrics", 50*time.Millisecond, nil)
		_, err := d.Sample(ctx, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want deadline exceeded", err)
		}
	})
	t.Run("refused, password redacted", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/metrics"
		srv.Close()
		d, err := NewDCGM(url, time.Second, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Sample(ctx, nil)
		if err == nil || strings.Contains(err.Error(), "s3cret") || errors.Is(err, ErrNoGPU) {
			t.Errorf("err = %v, want a connection error without the password", err)
		}
	})
}

func TestNewDCGM(t *testing.T) {
	for _, c := range []struct{ url, err string }{
		{"http://127.0.0.1:9400/metrics", ""},
		{"https://dcgm.gpu-operator.svc:9400/metrics", ""},
		{"127.0.0.1:9400/metrics", "url: "},
		{"localhost:9400/metrics", "want http:// or https://"},
		{"ftp://host/metrics", "want http:// or https://"},
		{"http:///metrics", "and a host"},
		{"http://user:s3cret@[::1/metrics", "url: "},
	} {
		_, err := NewDCGM(c.url, 0, nil)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("NewDCGM(%q): %v", c.url, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("NewDCGM(%q) = %v, want error with %q", c.url, err, c.err)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("NewDCGM(%q): error %q shows the password", c.url, err)
		}
	}
	if _, err := NewDCGM("http://h/metrics", -time.Second, nil); err == nil {
		t.Error("negative timeout accepted")
	}
}
