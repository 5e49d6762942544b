package gpu

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// MaxScrapeBytes bounds a DCGM exporter's answer; a longer one is an
// error. A node with 8 GPUs and every DCGM field exports about 1 MiB.
const MaxScrapeBytes = 16 << 20

// DCGM blank values: DCGM reports a field it has no value for as a
// sentinel, which dcgm-exporter prints as is. From dcgm_structs.h:
// DCGM_INT32_BLANK 0x7ffffff0 (and the special values up to 0x7fffffff),
// DCGM_FP64_BLANK 140737488355328.0 (2^47, and up), DCGM_INT64_BLANK
// 0x7ffffffffffffff0 = 9223372036854775792 (and up). No field read here
// can reach 2^47 or 2^31-16 for real (that many MiB, MHz, watts or ECC
// errors), so anything in those ranges is missing.
const (
	dcgmInt32Blank = 0x7ffffff0
	dcgmInt32Max   = 0x7fffffff
	dcgmFP64Blank  = 140737488355328.0
)

// dcgmBlank reports whether v is one of DCGM's blank sentinels.
func dcgmBlank(v float64) bool {
	return v >= dcgmFP64Blank || (v >= dcgmInt32Blank && v <= dcgmInt32Max)
}

const mib = 1 << 20

// dcgmField says where a DCGM field goes in a Sample and how to convert
// it. Exactly one of value and throttle is set.
type dcgmField struct {
	value    func(*Sample) *float64
	scale    float64
	throttle bool
	signed   bool // may be negative (temperatures)
}

// dcgmFields maps the DCGM field names read to their place in a Sample.
// dcgmFallbacks are read only when the Sample still misses the value:
// older names, or a second-best field.
var (
	dcgmFields = map[string]dcgmField{
		"DCGM_FI_DEV_GPU_UTIL":             {value: func(s *Sample) *float64 { return &s.UtilizationPercent }, scale: 1},
		"DCGM_FI_DEV_MEM_COPY_UTIL":        {value: func(s *Sample) *float64 { return &s.MemoryUtilizationPercent }, scale: 1},
		"DCGM_FI_DEV_FB_USED":              {value: func(s *Sample) *float64 { return &s.MemoryUsedBytes }, scale: mib},
		"DCGM_FI_DEV_FB_FREE":              {value: func(s *Sample) *float64 { return &s.MemoryFreeBytes }, scale: mib},
		"DCGM_FI_DEV_FB_TOTAL":             {value: func(s *Sample) *float64 { return &s.MemoryTotalBytes }, scale: mib},
		"DCGM_FI_DEV_GPU_TEMP":             {value: func(s *Sample) *float64 { return &s.TemperatureCelsius }, scale: 1, signed: true},
		"DCGM_FI_DEV_POWER_USAGE":          {value: func(s *Sample) *float64 { return &s.PowerWatts }, scale: 1},
		"DCGM_FI_DEV_ENFORCED_POWER_LIMIT": {value: func(s *Sample) *float64 { return &s.PowerLimitWatts }, scale: 1},
		"DCGM_FI_DEV_SM_CLOCK":             {value: func(s *Sample) *float64 { return &s.SMClockMHz }, scale: 1},
		"DCGM_FI_DEV_MEM_CLOCK":            {value: func(s *Sample) *float64 { return &s.MemoryClockMHz }, scale: 1},
		"DCGM_FI_DEV_CLOCKS_EVENT_REASONS": {throttle: true},
		"DCGM_FI_DEV_XID_ERRORS":           {value: func(s *Sample) *float64 { return &s.LastXID }, scale: 1},
		"DCGM_FI_DEV_ECC_SBE_VOL_TOTAL":    {value: func(s *Sample) *float64 { return &s.ECCCorrectedVolatile }, scale: 1},
		"DCGM_FI_DEV_ECC_DBE_VOL_TOTAL":    {value: func(s *Sample) *float64 { return &s.ECCUncorrectedVolatile }, scale: 1},
		"DCGM_FI_DEV_ECC_SBE_AGG_TOTAL":    {value: func(s *Sample) *float64 { return &s.ECCCorrectedAggregate }, scale: 1},
		"DCGM_FI_DEV_ECC_DBE_AGG_TOTAL":    {value: func(s *Sample) *float64 { return &s.ECCUncorrectedAggregate }, scale: 1},
	}
	dcgmFallbacks = map[string]dcgmField{
		"DCGM_FI_DEV_POWER_MGMT_LIMIT":       {value: func(s *Sample) *float64 { return &s.PowerLimitWatts }, scale: 1},
		"DCGM_FI_DEV_CLOCK_THROTTLE_REASONS": {throttle: true},
	}
)

// dcgmKey identifies one Sample of a scrape: one GPU (or MIG instance) as
// seen by one pod's container.
type dcgmKey struct {
	uuid, gpu, instance, host, pod, namespace, container string
}

// firstLabel returns the value of the first of names that m has, or "",
// with invalid UTF-8 replaced (the text parser does not check it).
func firstLabel(m *dto.Metric, names ...string) string {
	for _, name := range names {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == name {
				return validUTF8(lp.GetValue())
			}
		}
	}
	return ""
}

// metricValue returns the value of a gauge, counter or untyped metric.
func metricValue(m *dto.Metric) (float64, bool) {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue(), true
	case m.Counter != nil:
		return m.Counter.GetValue(), true
	case m.Untyped != nil:
		return m.Untyped.GetValue(), true
	}
	return 0, false
}

// ParseDCGM parses a DCGM exporter's /metrics answer (the Prometheus text
// format, parsed by prometheus/common/expfmt) and appends one Sample per
// GPU to dst, sorted by host, index, MIG instance, UUID, namespace, pod and
// container. Only the fields in the package documentation are read; other
// families are ignored.
//
// It tolerates what real exporters send: a last line without a newline
// (one is appended), empty HELP lines, counters without _total, the label
// Hostname (before dcgm-exporter 4.x) or hostname, pod_name/pod_namespace/
// container_name (dcgm-exporter 1.x) or pod/namespace/container. DCGM blank
// sentinels and NaN are missing values; negative or infinite values are
// counted in Sample.Invalid. A series without a UUID or gpu label is
// skipped.
//
// On a syntax error, ParseDCGM returns dst unchanged and the error: the
// families the parser returns then may hold a half-read series.
func ParseDCGM(data []byte, dst []Sample) ([]Sample, error) {
	if len(data) > 0 && data[len(data)-1] != '\n' {
		data = append(data[:len(data):len(data)], '\n')
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		return dst, fmt.Errorf("dcgm: parse metrics: %w", err)
	}

	index := make(map[dcgmKey]int)
	start := len(dst)
	apply := func(fields map[string]dcgmField, fallback bool) {
		names := make([]string, 0, len(fields))
		for name := range fields {
			if families[name] != nil {
				names = append(names, name)
			}
		}
		slices.Sort(names) // deterministic when two series share a key
		for _, name := range names {
			f := fields[name]
			for _, m := range families[name].GetMetric() {
				key := dcgmKey{
					uuid:      firstLabel(m, "UUID", "uuid"),
					gpu:       firstLabel(m, "gpu"),
					instance:  firstLabel(m, "GPU_I_ID"),
					host:      firstLabel(m, "hostname", "Hostname"),
					pod:       firstLabel(m, "pod", "pod_name"),
					namespace: firstLabel(m, "namespace", "pod_namespace"),
					container: firstLabel(m, "container", "container_name"),
				}
				if key.uuid == "" && key.gpu == "" {
					continue
				}
				i, ok := index[key]
				if !ok {
					i = len(dst)
					index[key] = i
					s := EmptySample()
					s.UUID, s.GPUInstance = key.uuid, key.instance
					s.Hostname, s.Pod, s.Namespace, s.Container = key.host, key.pod, key.namespace, key.container
					if n, err := strconv.Atoi(key.gpu); err == nil && n >= 0 {
						s.Index = n
					}
					dst = append(dst, s)
				}
				if dst[i].Model == "" {
					dst[i].Model = firstLabel(m, "modelName", "DCGM_FI_DEV_NAME")
				}
				setDCGM(&dst[i], f, m, fallback)
			}
		}
	}
	apply(dcgmFields, false)
	apply(dcgmFallbacks, true)
	slices.SortFunc(dst[start:], compareSamples)
	return dst, nil
}

// setDCGM stores the value of m in s as f says; with fallback, only when s
// does not have it yet.
func setDCGM(s *Sample, f dcgmField, m *dto.Metric, fallback bool) {
	if f.throttle && fallback && s.ThrottleKnown || !f.throttle && fallback && !math.IsNaN(*f.value(s)) {
		return
	}
	v, ok := metricValue(m)
	switch {
	case !ok || math.IsNaN(v):
		return // missing
	case math.IsInf(v, 0):
		s.Invalid++
		return
	case dcgmBlank(v):
		return // missing
	case v < 0 && !f.signed:
		s.Invalid++
		return
	}
	if f.throttle {
		if v != math.Trunc(v) {
			s.Invalid++
			return
		}
		s.ThrottleReasons, s.ThrottleKnown = ThrottleReasons(v), true
		return
	}
	*f.value(s) = v * f.scale
}

// compareSamples orders samples by host, index, MIG instance, UUID,
// namespace, pod and container.
func compareSamples(a, b Sample) int {
	return cmp.Or(
		cmp.Compare(a.Hostname, b.Hostname),
		cmp.Compare(a.Index, b.Index),
		cmp.Compare(a.GPUInstance, b.GPUInstance),
		cmp.Compare(a.UUID, b.UUID),
		cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Pod, b.Pod),
		cmp.Compare(a.Container, b.Container),
	)
}

// DefaultDCGMTimeout bounds one scrape when NewDCGM is given no timeout.
const DefaultDCGMTimeout = 5 * time.Second

// DCGM is a Source that scrapes an NVIDIA dcgm-exporter's /metrics over
// HTTP and parses it with ParseDCGM. It keeps the exporter's pod,
// namespace and container labels, so that GPU use is attributed to pods.
type DCGM struct {
	url      string // as given, for requests
	redacted string // for errors and logs
	timeout  time.Duration
	client   *http.Client
	now      func() time.Time
	buf      []byte
}

// NewDCGM returns a source scraping the http or https URL rawURL, e.g.
// http://127.0.0.1:9400/metrics. A scrape is bounded by timeout
// (DefaultDCGMTimeout when 0) and by the context given to Sample. client
// nil means a client of its own.
func NewDCGM(rawURL string, timeout time.Duration, client *http.Client) (*DCGM, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error quotes the whole URL, password included
		}
		return nil, fmt.Errorf("url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("url %q: want http:// or https:// and a host", u.Redacted())
	}
	if timeout < 0 {
		return nil, fmt.Errorf("timeout: must not be negative, got %v", timeout)
	}
	if timeout == 0 {
		timeout = DefaultDCGMTimeout
	}
	if client == nil {
		client = &http.Client{}
	}
	return &DCGM{url: rawURL, redacted: u.Redacted(), timeout: timeout, client: client, now: time.Now}, nil
}

// Name returns "dcgm".
func (d *DCGM) Name() string { return "dcgm" }

// Sample implements the Source interface. An exporter that answers with
// no DCGM GPU metric means no GPU (ErrNoGPU).
func (d *DCGM) Sample(ctx context.Context, dst []Sample) ([]Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url, nil)
	if err != nil {
		return dst, fmt.Errorf("dcgm: %s: %w", d.redacted, err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := d.client.Do(req)
	if err != nil {
		return dst, fmt.Errorf("dcgm: %w", err) // *url.Error, password redacted
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		return dst, fmt.Errorf("dcgm: GET %s: %s", d.redacted, resp.Status)
	}
	d.buf, err = readLimited(d.buf[:0], resp.Body, MaxScrapeBytes)
	if err != nil {
		return dst, fmt.Errorf("dcgm: GET %s: %w", d.redacted, err)
	}
	if len(d.buf) > 0 && d.buf[len(d.buf)-1] != '\n' {
		d.buf = append(d.buf, '\n') // here rather than in ParseDCGM, which would copy
	}
	n := len(dst)
	dst, err = ParseDCGM(d.buf, dst)
	if err != nil {
		return dst, fmt.Errorf("%w (from %s)", err, d.redacted)
	}
	if len(dst) == n {
		return dst, fmt.Errorf("%w: the DCGM exporter at %s exports no GPU metric", ErrNoGPU, d.redacted)
	}
	now := d.now()
	for i := n; i < len(dst); i++ {
		dst[i].Time = now
	}
	return dst, nil
}

// readLimited appends r to buf and fails when it holds more than limit
// bytes.
func readLimited(buf []byte, r io.Reader, limit int64) ([]byte, error) {
	w := bytes.NewBuffer(buf)
	n, err := w.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return w.Bytes(), fmt.Errorf("read body: %w", err)
	}
	if n > limit {
		return w.Bytes(), fmt.Errorf("body larger than %d bytes", limit)
	}
	return w.Bytes(), nil
}
