package gpu

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// smiKind is the kind of quantity in an nvidia-smi column, which decides
// the units accepted.
type smiKind uint8

const (
	smiPercent smiKind = iota
	smiBytes
	smiWatts
	smiMHz
	smiCelsius
	smiCount
)

// smiUnits maps, per kind, each unit nvidia-smi may print to the factor
// into the Sample's unit. The first unit is the one assumed when neither
// the value nor the header has one (--format=csv,nounits,noheader).
var smiUnits = [...][]struct {
	name   string
	factor float64
}{
	smiPercent: {{"%", 1}},
	smiBytes:   {{"MiB", mib}, {"KiB", 1 << 10}, {"GiB", 1 << 30}, {"B", 1}},
	smiWatts:   {{"W", 1}, {"mW", 1e-3}},
	smiMHz:     {{"MHz", 1}, {"GHz", 1e3}},
	smiCelsius: {{"C", 1}},
	smiCount:   {{"", 1}},
}

// smiField is a measurement read from nvidia-smi: the first of names (the
// current name, then older ones) whose column holds a value.
type smiField struct {
	names []string
	kind  smiKind
	value func(*Sample) *float64
}

var smiFields = []smiField{
	{[]string{"utilization.gpu"}, smiPercent, func(s *Sample) *float64 { return &s.UtilizationPercent }},
	{[]string{"utilization.memory"}, smiPercent, func(s *Sample) *float64 { return &s.MemoryUtilizationPercent }},
	{[]string{"memory.used"}, smiBytes, func(s *Sample) *float64 { return &s.MemoryUsedBytes }},
	{[]string{"memory.free"}, smiBytes, func(s *Sample) *float64 { return &s.MemoryFreeBytes }},
	{[]string{"memory.total"}, smiBytes, func(s *Sample) *float64 { return &s.MemoryTotalBytes }},
	{[]string{"temperature.gpu"}, smiCelsius, func(s *Sample) *float64 { return &s.TemperatureCelsius }},
	{[]string{"power.draw", "power.draw.instant", "power.draw.average"}, smiWatts, func(s *Sample) *float64 { return &s.PowerWatts }},
	{[]string{"enforced.power.limit", "power.limit"}, smiWatts, func(s *Sample) *float64 { return &s.PowerLimitWatts }},
	{[]string{"clocks.current.sm", "clocks.sm"}, smiMHz, func(s *Sample) *float64 { return &s.SMClockMHz }},
	{[]string{"clocks.current.memory", "clocks.mem"}, smiMHz, func(s *Sample) *float64 { return &s.MemoryClockMHz }},
	{[]string{"ecc.errors.corrected.volatile.total"}, smiCount, func(s *Sample) *float64 { return &s.ECCCorrectedVolatile }},
	{[]string{"ecc.errors.uncorrected.volatile.total"}, smiCount, func(s *Sample) *float64 { return &s.ECCUncorrectedVolatile }},
	{[]string{"ecc.errors.corrected.aggregate.total"}, smiCount, func(s *Sample) *float64 { return &s.ECCCorrectedAggregate }},
	{[]string{"ecc.errors.uncorrected.aggregate.total"}, smiCount, func(s *Sample) *float64 { return &s.ECCUncorrectedAggregate }},
}

// The prefixes of the clock event reason columns: current drivers (R535
// and later) first.
var smiReasonPrefixes = []string{"clocks_event_reasons.", "clocks_throttle_reasons."}

// smiMissing reports whether v is one of nvidia-smi's placeholders for a
// value it does not have: "", "N/A", or anything in brackets ("[N/A]",
// "[Not Supported]", "[Requested functionality has been deprecated]",
// "[Unknown Error]", "[GPU requires reset]").
func smiMissing(v string) bool {
	return v == "" || v == "N/A" || strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]")
}

// smiHeader is the parsed header: each field name (without its " [unit]")
// mapped to its column, and each column's unit.
type smiHeader struct {
	col   map[string]int
	units []string
}

func parseSMIHeader(rec []string) smiHeader {
	h := smiHeader{col: make(map[string]int, len(rec)), units: make([]string, len(rec))}
	for i, f := range rec {
		name := strings.TrimSpace(f)
		if j := strings.LastIndex(name, " ["); j >= 0 && strings.HasSuffix(name, "]") {
			h.units[i] = name[j+2 : len(name)-1]
			name = name[:j]
		}
		if _, dup := h.col[name]; !dup {
			h.col[name] = i
		}
	}
	return h
}

// ParseNvidiaSMI parses the output of
//
//	nvidia-smi --query-gpu=FIELDS --format=csv
//
// — a header, then one row per GPU — and appends one Sample per row to dst.
// Columns are found by their header name, in any order and among any
// others (the fields read are listed in the package documentation), so
// that it reads both what NvidiaSMI queries and a capture of all 212
// fields. Units may be in the header ("memory.used [MiB]"), in the values
// ("19818 MiB") or absent ("nounits"); MiB and W and MHz are assumed when
// absent. Placeholders ("[N/A]", "[Not Supported]", "N/A") are missing;
// malformed values, unknown units and negative counts are missing and
// counted in Sample.Invalid.
//
// It returns an error when there is no header (output of --format=csv,
// noheader cannot be mapped) or the CSV is malformed; it then appends the
// rows read before the error.
func ParseNvidiaSMI(data []byte, dst []Sample) ([]Sample, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.TrimLeadingSpace = true // nvidia-smi separates fields by ", "
	r.LazyQuotes = true
	header, err := r.Read()
	if err == io.EOF {
		return dst, errors.New("nvidia-smi: empty output")
	}
	if err != nil {
		return dst, fmt.Errorf("nvidia-smi: header: %w", err)
	}
	h := parseSMIHeader(header)
	if _, ok := h.col["uuid"]; !ok {
		if _, ok := h.col["index"]; !ok {
			return dst, errors.New("nvidia-smi: no header with an index or uuid column (run with --format=csv, not noheader)")
		}
	}
	r.ReuseRecord = true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, fmt.Errorf("nvidia-smi: %w", err)
		}
		dst = append(dst, h.sample(rec))
	}
}

// sample reads one row.
func (h *smiHeader) sample(rec []string) Sample {
	s := EmptySample()
	text := func(name string) (string, bool) {
		if i, ok := h.col[name]; ok {
			if v := strings.TrimSpace(rec[i]); !smiMissing(v) {
				return v, true
			}
		}
		return "", false
	}
	if v, ok := text("index"); ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			s.Index = n
		} else {
			s.Invalid++
		}
	}
	s.UUID, _ = text("uuid")
	s.Model, _ = text("name")
	s.Hostname, _ = text("hostname")
	s.UUID, s.Model, s.Hostname = validUTF8(s.UUID), validUTF8(s.Model), validUTF8(s.Hostname)

	for _, f := range smiFields {
		for _, name := range f.names {
			i, ok := h.col[name]
			if !ok {
				continue
			}
			v := strings.TrimSpace(rec[i])
			if smiMissing(v) {
				continue
			}
			x, ok := smiNumber(v, h.units[i], f.kind)
			if !ok {
				s.Invalid++
				continue
			}
			*f.value(&s) = x
			break
		}
	}
	h.throttle(rec, &s)
	return s
}

// throttle reads the clock event reasons: the mask column ".active" when
// present, else the one column per reason ("Active" / "Not Active").
func (h *smiHeader) throttle(rec []string, s *Sample) {
	for _, p := range smiReasonPrefixes {
		i, ok := h.col[p+"active"]
		if !ok {
			continue
		}
		v := strings.TrimSpace(rec[i])
		if smiMissing(v) {
			continue
		}
		mask, err := strconv.ParseUint(v, 0, 64)
		if err != nil {
			s.Invalid++
			continue
		}
		s.ThrottleReasons, s.ThrottleKnown = ThrottleReasons(mask), true
		return
	}
	for _, p := range smiReasonPrefixes {
		for _, name := range throttleNames {
			i, ok := h.col[p+name]
			if !ok {
				continue
			}
			switch v := strings.TrimSpace(rec[i]); v {
			case "Active":
				s.ThrottleReasons |= throttleBit(name)
				s.ThrottleKnown = true
			case "Not Active":
				s.ThrottleKnown = true
			default:
				if !smiMissing(v) {
					s.Invalid++
				}
			}
		}
		if s.ThrottleKnown {
			return
		}
	}
}

// smiNumber parses a value such as "631.95 W", "19818" or "100 %" of the
// given kind into the Sample's unit; headerUnit is the unit of the column
// header, used when the value has none.
func smiNumber(v, headerUnit string, kind smiKind) (float64, bool) {
	num, unit, _ := strings.Cut(v, " ")
	if unit == "" {
		unit = headerUnit
	}
	units := smiUnits[kind]
	factor := 0.0
	if unit == "" {
		factor = units[0].factor
	}
	for _, u := range units {
		if u.name == unit {
			factor = u.factor
		}
	}
	if factor == 0 {
		return 0, false
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || x < 0 && kind != smiCelsius {
		return 0, false
	}
	return x * factor, true
}

// Runner runs a command and returns its standard output. When the command
// fails, the error should be an *exec.ExitError with Stderr set, as
// (*exec.Cmd).Output returns it; a missing executable is
// exec.ErrNotFound or fs.ErrNotExist. Tests replace it with a fake.
type Runner func(ctx context.Context, name string, args ...string) ([]byte, error)

// ExecRunner is the Runner that runs commands with os/exec; a command
// still running when ctx is done is killed.
func ExecRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = time.Second
	return cmd.Output()
}

// smiQueryFields are the fields NvidiaSMI queries, by their current names;
// smiFallbackField gives the names older drivers know.
var smiQueryFields = []string{
	"index", "uuid", "name",
	"utilization.gpu", "utilization.memory",
	"memory.total", "memory.used", "memory.free",
	"temperature.gpu", "power.draw", "enforced.power.limit",
	"clocks.current.sm", "clocks.current.memory",
	"clocks_event_reasons.active",
	"ecc.errors.corrected.volatile.total", "ecc.errors.uncorrected.volatile.total",
	"ecc.errors.corrected.aggregate.total", "ecc.errors.uncorrected.aggregate.total",
}

// smiFallbackField gives, for a field an older driver rejects, the name
// it knew the field by.
var smiFallbackField = map[string]string{
	"clocks_event_reasons.active": "clocks_throttle_reasons.active", // before R535
	"clocks.current.sm":           "clocks.sm",
	"clocks.current.memory":       "clocks.mem",
	"enforced.power.limit":        "power.limit",
}

// DefaultSMITimeout bounds one run of nvidia-smi when NewNvidiaSMI is given
// no timeout. nvidia-smi can hang on a wedged GPU: it is killed then.
const DefaultSMITimeout = 10 * time.Second

// NvidiaSMI is a Source that runs
//
//	nvidia-smi --query-gpu=FIELDS --format=csv
//
// and parses it with ParseNvidiaSMI. The output has a header and units,
// so that columns are mapped by name and units are checked. A field the
// driver rejects ("Field … is not a valid field to query") is replaced by
// its older name, or else dropped, and the query is run again; the change
// is kept for later polls. nvidia-smi reports no XID errors.
type NvidiaSMI struct {
	path    string
	timeout time.Duration
	run     Runner
	fields  []string
	now     func() time.Time
}

// NewNvidiaSMI returns a source running the nvidia-smi at path ("" means
// "nvidia-smi" in $PATH) with run (nil means ExecRunner), each run bounded
// by timeout (DefaultSMITimeout when 0) and by the context of Sample.
func NewNvidiaSMI(path string, timeout time.Duration, run Runner) *NvidiaSMI {
	if path == "" {
		path = "nvidia-smi"
	}
	if timeout <= 0 {
		timeout = DefaultSMITimeout
	}
	if run == nil {
		run = ExecRunner
	}
	return &NvidiaSMI{path: path, timeout: timeout, run: run, fields: slices.Clone(smiQueryFields), now: time.Now}
}

// Name returns "nvidia-smi".
func (n *NvidiaSMI) Name() string { return "nvidia-smi" }

// smiInvalidField matches nvidia-smi's complaint about a field it does not
// know.
var smiInvalidField = regexp.MustCompile(`Field "([^"]+)" is not a valid field to query`)

// Sample implements the Source interface. A missing nvidia-smi, a driver
// it cannot talk to, and "No devices were found" mean no GPU (ErrNoGPU).
func (n *NvidiaSMI) Sample(ctx context.Context, dst []Sample) ([]Sample, error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	for range len(smiQueryFields) + 1 {
		out, err := n.run(ctx, n.path, "--query-gpu="+strings.Join(n.fields, ","), "--format=csv")
		if err == nil {
			k := len(dst)
			dst, err = ParseNvidiaSMI(out, dst)
			if err != nil {
				return dst, err
			}
			if len(dst) == k {
				return dst, fmt.Errorf("%w: nvidia-smi lists no GPU", ErrNoGPU)
			}
			now := n.now()
			for i := k; i < len(dst); i++ {
				dst[i].Time = now
			}
			return dst, nil
		}
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			return dst, fmt.Errorf("%w: nvidia-smi: %w", ErrNoGPU, err)
		}
		if ctx.Err() != nil {
			return dst, fmt.Errorf("nvidia-smi: %w", ctx.Err())
		}
		text := commandText(out, err)
		switch {
		case strings.Contains(text, "couldn't communicate with the NVIDIA driver"),
			strings.Contains(text, "No devices were found"):
			return dst, fmt.Errorf("%w: nvidia-smi: %s", ErrNoGPU, firstLine(text))
		}
		m := smiInvalidField.FindStringSubmatch(text)
		if m == nil || !n.replaceField(m[1]) {
			return dst, fmt.Errorf("nvidia-smi: %w: %s", err, firstLine(text))
		}
	}
	return dst, errors.New("nvidia-smi: every queried field was rejected")
}

// replaceField replaces a rejected field by its older name, or drops it;
// it reports whether the field was queried.
func (n *NvidiaSMI) replaceField(field string) bool {
	i := slices.Index(n.fields, field)
	if i < 0 {
		return false
	}
	if old, ok := smiFallbackField[field]; ok && !slices.Contains(n.fields, old) {
		n.fields[i] = old
		return true
	}
	n.fields = slices.Delete(n.fields, i, i+1)
	return len(n.fields) > 0
}

// commandText returns what a failed command printed: its standard error,
// then its standard output.
func commandText(stdout []byte, err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr) + "\n" + string(stdout)
	}
	return string(stdout)
}

// firstLine returns the first non-blank line of s, cut to 200 bytes.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > 200 {
				line = validUTF8(line[:200]) + "…"
			}
			return line
		}
	}
	return ""
}

// validUTF8 replaces invalid UTF-8 in s, so that it can be a label value.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
