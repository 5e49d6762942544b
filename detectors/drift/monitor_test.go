package drift

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/detectors/stream"
	"github.com/driftwatch/driftwatch/internal/obs"
)

var mt0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// table is a CSV file of testdata/ read with encoding/csv (detectors may not
// import the collectors).
type table struct {
	header []string
	rows   [][]string
}

func readTable(t testing.TB, name string) table {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return table{header: all[0], rows: all[1:]}
}

// value parses a cell: a number, a category, or missing when empty.
func value(name, s string) obs.Value {
	if s == "" {
		return obs.Value{Name: name}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return obs.Value{Name: name, Kind: obs.Number, Num: f}
	}
	return obs.Value{Name: name, Kind: obs.Category, Str: s}
}

// records turns the rows into records, the column named pred (if any)
// becoming the prediction, one second apart from mt0.
func (tb table) records(pred string) []obs.Record {
	out := make([]obs.Record, len(tb.rows))
	for i, row := range tb.rows {
		r := obs.Record{Time: mt0.Add(time.Duration(i) * time.Second), Model: "bc", Version: "1"}
		for j, s := range row {
			if v := value(tb.header[j], s); tb.header[j] == pred {
				r.Prediction = append(r.Prediction, v)
			} else {
				r.Features = append(r.Features, v)
			}
		}
		out[i] = r
	}
	return out
}

// columns turns the table into reference columns, the column named pred
// becoming prediction:pred.
func (tb table) columns(pred string) []Column {
	out := make([]Column, len(tb.header))
	for j, name := range tb.header {
		c := Column{Name: name}
		if name == pred {
			c.Name = PredictionPrefix + name
		}
		for _, row := range tb.rows {
			if _, err := strconv.ParseFloat(row[j], 64); err != nil && row[j] != "" {
				c.Categorical = true
			}
		}
		for _, row := range tb.rows {
			if c.Categorical {
				c.Str = append(c.Str, row[j])
			} else if row[j] == "" {
				c.Num = append(c.Num, math.NaN())
			} else {
				f, _ := strconv.ParseFloat(row[j], 64)
				c.Num = append(c.Num, f)
			}
		}
		out[j] = c
	}
	return out
}

func newMonitor(t testing.TB, cfg MonitorConfig) *Monitor {
	t.Helper()
	m, err := NewMonitor(cfg)
	if err != nil {
		t.Fatalf("NewMonitor: %v", err)
	}
	return m
}

// feed observes recs and returns the Results at the time of the last one.
func feed(m *Monitor, recs []obs.Record) []obs.Result {
	var out []obs.Result
	for _, r := range recs {
		m.Observe(r)
	}
	return m.Results(recs[len(recs)-1].Time, out)
}

func find(res []obs.Result, name, feature string) *obs.Result {
	for i := range res {
		if res[i].Name == name && res[i].Labels["feature"] == feature {
			return &res[i]
		}
	}
	return nil
}

func evidence(r *obs.Result, key string) string {
	for _, f := range r.Evidence {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

func TestMonitorBreastCancer(t *testing.T) {
	ref := readTable(t, "breast-cancer/reference.csv")
	cases := map[string]table{
		"random": readTable(t, "breast-cancer/current-random.csv"),
		"shift":  readTable(t, "breast-cancer/current-shift.csv"),
	}
	for _, c := range []struct {
		name      string
		current   string
		given     bool // reference as columns instead of the first records
		preds     bool // predictions only
		wantDrift bool
		wantFeat  string // a feature that must drift
	}{
		{"first records, random rows", "random", false, false, false, ""},
		{"first records, shifted rows", "shift", false, false, true, "mean radius"},
		{"columns, random rows", "random", true, false, false, ""},
		{"columns, shifted rows", "shift", true, false, true, "mean radius"},
		{"output drift, random rows", "random", true, true, false, ""},
		{"output drift, shifted rows", "shift", false, true, true, "prediction:diagnosis"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cur := cases[c.current]
			cfg := MonitorConfig{Model: "bc", Version: "1", Window: stream.WindowConfig{Size: len(cur.rows)}, Predictions: c.preds}
			if c.given {
				cfg.Reference = ref.columns("diagnosis")
				cfg.ReferenceName = "reference.csv"
			} else {
				cfg.ReferenceFirst = len(ref.rows)
			}
			m := newMonitor(t, cfg)
			if !c.given {
				if res := feed(m, ref.records("diagnosis")); len(res) != 0 {
					t.Fatalf("results while collecting the reference: %v", res)
				}
			}
			res := feed(m, cur.records("diagnosis"))
			rep := m.LastReport()
			if rep == nil {
				t.Fatalf("no report; stats %+v", m.Stats())
			}
			wantCols := len(ref.header)
			if c.preds {
				wantCols = 1
			}
			if len(rep.Features) != wantCols || len(res) != wantCols+1 {
				t.Fatalf("%d features and %d results, want %d and %d", len(rep.Features), len(res), wantCols, wantCols+1)
			}
			if rep.Drift != c.wantDrift {
				t.Errorf("drift %v (%d drifted), want %v", rep.Drift, rep.DriftedFeatures, c.wantDrift)
			}
			if rep.ReferenceRows != len(ref.rows) || rep.CurrentRows != len(cur.rows) {
				t.Errorf("rows %d/%d, want %d/%d", rep.ReferenceRows, rep.CurrentRows, len(ref.rows), len(cur.rows))
			}
			ds := find(res, ResultDataset, "")
			if ds == nil || (ds.Value == 1) != c.wantDrift || (ds.Severity == obs.Warning) != c.wantDrift || ds.Samples != len(cur.rows) {
				t.Fatalf("dataset result %+v", ds)
			}
			if c.wantFeat != "" {
				f := find(res, ResultFeature, c.wantFeat)
				if f == nil || f.Severity != obs.Warning {
					t.Fatalf("feature %q: %+v, want a warning", c.wantFeat, f)
				}
				if f.Labels["model"] != "bc" || f.Labels["version"] != "1" || f.Labels["test"] == "" {
					t.Errorf("labels %v", f.Labels)
				}
				if evidence(f, "adjusted_p_value") == "" || evidence(f, "effect_size") == "" {
					t.Errorf("evidence %v lacks p-value or effect size", f.Evidence)
				}
				if !strings.Contains(evidence(ds, "top_features"), "(") {
					t.Errorf("dataset evidence %v lacks top features", ds.Evidence)
				}
				// The dataset alert names its strongest feature's test.
				for _, k := range []string{"top_feature", "test", "statistic", "effect_size", "reference_rows", "current_rows"} {
					if evidence(ds, k) == "" {
						t.Errorf("dataset evidence %v lacks %s", ds.Evidence, k)
					}
				}
				if evidence(f, "statistic") == "" {
					t.Errorf("feature evidence %v lacks the statistic", f.Evidence)
				}
			}
			wantRef := fmt.Sprintf("reference.csv (%d rows)", len(ref.rows))
			if !c.given {
				wantRef = fmt.Sprintf("first %d records, ", len(ref.rows))
			}
			for _, r := range res {
				if got := evidence(&r, "reference_window"); !strings.HasPrefix(got, wantRef) {
					t.Errorf("%s %s: reference_window %q, want %q…", r.Name, r.Labels["feature"], got, wantRef)
				}
			}
			// No raw value in the evidence: categories and numbers of
			// the data never appear.
			for _, r := range res {
				for _, e := range r.Evidence {
					if strings.Contains(e.Value, "malignant") || strings.Contains(e.Value, "benign") {
						t.Errorf("%s evidence %s=%q holds a raw value", r.Name, e.Key, e.Value)
					}
				}
			}
		})
	}
}

func TestMonitorSynthetic(t *testing.T) {
	ref, shift, random := readTable(t, "breast-cancer/reference.csv"), readTable(t, "breast-cancer/current-shift.csv"), readTable(t, "breast-cancer/current-random.csv")
	m := newMonitor(t, MonitorConfig{ReferenceFirst: len(ref.rows), Window: stream.WindowConfig{Size: len(random.rows)}})
	syn := shift.records("")
	for i := range syn {
		syn[i].Synthetic = true
	}
	// Synthetic records come first, in the reference, and in the window:
	// none counts.
	feed(m, syn)
	feed(m, ref.records(""))
	res := feed(m, syn)
	if len(res) != 0 {
		t.Fatalf("synthetic records completed a window: %d results", len(res))
	}
	feed(m, random.records("")[:100])
	feed(m, syn)
	res = feed(m, random.records("")[100:])
	if len(res) == 0 {
		t.Fatal("no window")
	}
	rep := m.LastReport()
	if rep.Drift || rep.CurrentRows != len(random.rows) || rep.ReferenceRows != len(ref.rows) {
		t.Errorf("drift %v, rows %d/%d: synthetic shifted records leaked in", rep.Drift, rep.ReferenceRows, rep.CurrentRows)
	}
	if st := m.Stats(); st.Synthetic != uint64(3*len(syn)) || st.Observed != uint64(len(ref.rows)+len(random.rows)) {
		t.Errorf("stats %+v", st)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), fmt.Sprintf("%d synthetic records left out", 2*len(syn))) {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

// numRecords makes n records with features x ~ N(mean, 1) and a category
// c in {a, b}.
func numRecords(rng *rand.Rand, n int, mean float64, at time.Time) []obs.Record {
	out := make([]obs.Record, n)
	for i := range out {
		c := "a"
		if rng.IntN(2) == 1 {
			c = "b"
		}
		out[i] = obs.Record{Time: at, Features: []obs.Value{
			{Name: "x", Kind: obs.Number, Num: mean + rng.NormFloat64()},
			{Name: "c", Kind: obs.Category, Str: c},
		}}
	}
	return out
}

func TestMonitorValues(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(r *obs.Record, i int)
		check  func(t *testing.T, rep *Report, st MonitorStats)
	}{
		{"same data", func(*obs.Record, int) {}, func(t *testing.T, rep *Report, st MonitorStats) {
			if rep.Drift || len(rep.Warnings) != 0 {
				t.Errorf("drift %v, warnings %q", rep.Drift, rep.Warnings)
			}
		}},
		{"kind change", func(r *obs.Record, i int) {
			if i%2 == 0 {
				r.Features[0] = obs.Value{Name: "x", Kind: obs.Category, Str: "oops"}
				r.Features[1] = obs.Value{Name: "c", Kind: obs.Number, Num: 3}
			}
		}, func(t *testing.T, rep *Report, st MonitorStats) {
			if st.KindChanges != 400 {
				t.Errorf("%d kind changes, want 400", st.KindChanges)
			}
			if x := rep.Features[0]; x.CurrentMissing != 200 || !x.Drift {
				t.Errorf("x: %d missing, drift %v; want 200 and a drift of the missing share", x.CurrentMissing, x.Drift)
			}
			if !strings.Contains(strings.Join(rep.Warnings, "\n"), "400 values of another type") {
				t.Errorf("warnings %q", rep.Warnings)
			}
		}},
		{"absent and unknown features", func(r *obs.Record, i int) {
			r.Features = []obs.Value{{Name: "new", Kind: obs.Number, Num: 1}, r.Features[1]}
		}, func(t *testing.T, rep *Report, st MonitorStats) {
			if st.UnknownFeatures != 400 {
				t.Errorf("%d unknown, want 400", st.UnknownFeatures)
			}
			if x := rep.Features[0]; x.CurrentMissing != 400 || !x.Drift {
				t.Errorf("x: %d missing, drift %v", x.CurrentMissing, x.Drift)
			}
			if !strings.Contains(strings.Join(rep.Warnings, "\n"), `400 values of features not in the reference ignored ("new")`) {
				t.Errorf("warnings %q", rep.Warnings)
			}
		}},
		{"infinities are missing", func(r *obs.Record, i int) {
			if i < 10 {
				r.Features[0].Num = math.Inf(1)
			}
		}, func(t *testing.T, rep *Report, st MonitorStats) {
			if x := rep.Features[0]; x.CurrentMissing != 10 {
				t.Errorf("x: %d missing, want 10", x.CurrentMissing)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			m := newMonitor(t, MonitorConfig{ReferenceFirst: 400, Window: stream.WindowConfig{Size: 400}})
			feed(m, numRecords(rng, 400, 0, mt0))
			cur := numRecords(rng, 400, 0, mt0.Add(time.Minute))
			for i := range cur {
				c.change(&cur[i], i)
			}
			if res := feed(m, cur); len(res) != 3 {
				t.Fatalf("%d results, want 3; stats %+v", len(res), m.Stats())
			}
			c.check(t, m.LastReport(), m.Stats())
		})
	}
}

func TestMonitorSliding(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := newMonitor(t, MonitorConfig{ReferenceFirst: 500, Window: stream.WindowConfig{Size: 200, Mode: stream.Sliding, Step: 100}})
	feed(m, numRecords(rng, 500, 0, mt0))
	var drifts []bool
	for i := range 6 {
		mean := 0.0
		if i >= 3 {
			mean = 2
		}
		if res := feed(m, numRecords(rng, 100, mean, mt0.Add(time.Duration(i)*time.Second))); len(res) > 0 {
			drifts = append(drifts, m.LastReport().Drift)
		}
	}
	// Windows end after records 200, 300, 400, 500, 600: the shift starts
	// at record 300.
	if want := []bool{false, false, true, true, true}; fmt.Sprint(drifts) != fmt.Sprint(want) {
		t.Errorf("drift per window %v, want %v", drifts, want)
	}
}

// TestMonitorFlood pushes a million records into a time window capped at
// 10,000 records and checks the monitor's buffers stay within it.
func TestMonitorFlood(t *testing.T) {
	const n, limit = 1_000_000, 10_000
	rng := rand.New(rand.NewPCG(5, 6))
	m := newMonitor(t, MonitorConfig{ReferenceFirst: 1000, Window: stream.WindowConfig{Duration: time.Hour, MaxRecords: limit}})
	feed(m, numRecords(rng, 1000, 0, mt0))
	recs := numRecords(rng, 1000, 0, mt0)
	for i := range n {
		r := recs[i%len(recs)]
		r.Time = mt0.Add(time.Duration(i) * time.Millisecond)
		m.Observe(r)
	}
	if len(m.num) > limit*m.nNum || len(m.str) > limit*m.nStr || len(m.featCache) > 2 {
		t.Fatalf("buffers: %d numbers, %d strings, cache %d", len(m.num), len(m.str), len(m.featCache))
	}
	res := m.Results(mt0.Add(time.Hour), nil)
	rep := m.LastReport()
	if len(res) == 0 || rep.CurrentRows != limit {
		t.Fatalf("%d results, %d rows compared", len(res), rep.CurrentRows)
	}
	if st := m.Stats(); st.Sampled != n-limit {
		t.Errorf("sampled %d, want %d", st.Sampled, n-limit)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "window sampled: 10000 of 1000000 records compared") {
		t.Errorf("warnings %q", rep.Warnings)
	}
}

func TestMonitorMaxColumns(t *testing.T) {
	m := newMonitor(t, MonitorConfig{ReferenceFirst: 10, MaxColumns: 3, Window: stream.WindowConfig{Size: 10}})
	for i := range 20 {
		r := obs.Record{Time: mt0}
		for j := range 10 {
			r.Features = append(r.Features, obs.Value{Name: fmt.Sprintf("f%d", j+i), Kind: obs.Number, Num: float64(i)})
		}
		m.Observe(r)
	}
	m.Results(mt0, nil)
	if rep := m.LastReport(); rep == nil || len(rep.Features) != 3 {
		t.Fatalf("report %+v, want 3 features", rep)
	}
	if st := m.Stats(); st.DroppedColumns == 0 || st.UnknownFeatures == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestMonitorConfigValidate(t *testing.T) {
	w := stream.WindowConfig{Size: 10}
	ref := []Column{num("a", 1, 2), {Name: "prediction:p", Num: []float64{1, 2}}}
	for _, c := range []struct {
		name string
		cfg  MonitorConfig
		err  string
	}{
		{"first", MonitorConfig{Window: w, ReferenceFirst: 10}, ""},
		{"columns", MonitorConfig{Window: w, Reference: ref}, ""},
		{"no reference", MonitorConfig{Window: w}, "needs a reference"},
		{"both references", MonitorConfig{Window: w, Reference: ref, ReferenceFirst: 3}, "mutually exclusive"},
		{"bad window", MonitorConfig{ReferenceFirst: 3}, "window needs a size"},
		{"bad options", MonitorConfig{Window: w, ReferenceFirst: 3, Options: Options{Test: "nope"}}, `unknown test "nope"`},
		{"ragged reference", MonitorConfig{Window: w, Reference: []Column{num("a", 1), num("b", 1, 2)}}, "has 2 values"},
		{"empty reference", MonitorConfig{Window: w, Reference: []Column{num("a")}}, "no rows"},
		{"duplicate column", MonitorConfig{Window: w, Reference: []Column{num("a", 1), num("a", 1)}}, "appears twice"},
		{"no prediction column", MonitorConfig{Window: w, Predictions: true, Reference: []Column{num("a", 1)}}, "no reference column is a prediction"},
		{"min records", MonitorConfig{Window: w, ReferenceFirst: 3, MinRecords: 11}, "larger than the window size"},
		{"max columns", MonitorConfig{Window: w, Reference: ref, MaxColumns: 1}, "more than max_columns 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case c.err != "" && err == nil:
				t.Fatalf("Validate succeeded, want an error with %q", c.err)
			case c.err != "" && !strings.Contains(err.Error(), c.err):
				t.Fatalf("Validate = %q, want it to contain %q", err, c.err)
			}
		})
	}
}

// TestMonitorConcurrentReaders reads the last report while another
// goroutine observes and evaluates (run with -race).
func TestMonitorConcurrentReaders(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := newMonitor(t, MonitorConfig{ReferenceFirst: 100, Window: stream.WindowConfig{Size: 50}, Options: with(func(o *Options) { o.Permutations = 0 })})
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if rep := m.LastReport(); rep != nil && rep.CurrentRows != 50 {
				t.Errorf("report of %d rows", rep.CurrentRows)
			}
			_ = m.Stats()
		}
	})
	for i := range 20 {
		feed(m, numRecords(rng, 50, 0, mt0.Add(time.Duration(i)*time.Second)))
	}
	close(done)
	wg.Wait()
	if st := m.Stats(); st.Windows != 18 {
		t.Errorf("%d windows, want 18", st.Windows)
	}
}

// wideRecords makes n records of 32 numeric features.
func wideRecords(rng *rand.Rand, n int) []obs.Record {
	names := make([]string, 32)
	for j := range names {
		names[j] = fmt.Sprintf("f%02d", j)
	}
	out := make([]obs.Record, n)
	vals := make([]obs.Value, n*32)
	for i := range out {
		v := vals[i*32 : (i+1)*32]
		for j := range v {
			v[j] = obs.Value{Name: names[j], Kind: obs.Number, Num: rng.NormFloat64()}
		}
		out[i] = obs.Record{Time: mt0, Features: v}
	}
	return out
}

// BenchmarkMonitorObserve measures Observe of a 32-feature record: stored
// in a sliding window (every record is stored), and in a full time window
// where most records are sampled out.
func BenchmarkMonitorObserve(b *testing.B) {
	for _, c := range []struct {
		name string
		win  stream.WindowConfig
	}{
		{"stored", stream.WindowConfig{Size: 10_000, Mode: stream.Sliding}},
		{"sampled", stream.WindowConfig{Duration: time.Hour, MaxRecords: 10_000}},
	} {
		b.Run(c.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(9, 10))
			m := newMonitor(b, MonitorConfig{ReferenceFirst: 1000, Window: c.win})
			feed(m, wideRecords(rng, 1000))
			recs := wideRecords(rng, 1000)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.Observe(recs[i%len(recs)])
				i++
			}
		})
	}
}

// BenchmarkMonitorWindow measures one evaluation of a window of 10,000
// records × 32 features against a reference of as many, with LiveOptions.
func BenchmarkMonitorWindow(b *testing.B) {
	for _, perms := range []int{0, LivePermutations} {
		b.Run(fmt.Sprintf("permutations=%d", perms), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(11, 12))
			opt := LiveOptions()
			opt.Permutations = perms
			m := newMonitor(b, MonitorConfig{ReferenceFirst: 10_000, Options: opt, Window: stream.WindowConfig{Size: 10_000, Mode: stream.Sliding, Step: 1}})
			feed(m, wideRecords(rng, 10_000))
			for _, r := range wideRecords(rng, 10_000) {
				m.Observe(r)
			}
			b.ReportAllocs()
			for b.Loop() {
				m.Observe(obs.Record{Time: mt0})
				if res := m.Results(mt0, nil); len(res) != 33 {
					b.Fatalf("%d results", len(res))
				}
			}
		})
	}
}
