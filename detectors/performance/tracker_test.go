package performance

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Tracker has the methods of a detectors.Detector (which this package does
// not import).
var _ interface {
	Observe(obs.Record)
	Results(time.Time, []obs.Result) []obs.Result
} = (*Tracker)(nil)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func cat(s string) obs.Value                   { return obs.Value{Name: "label", Kind: obs.Category, Str: s} }
func num(v float64) obs.Value                  { return obs.Value{Name: "label", Kind: obs.Number, Num: v} }
func named(v obs.Value, name string) obs.Value { v.Name = name; return v }

// rec returns one instance of request id of model version m/1 at t0+at.
func rec(id string, at time.Duration, pred ...obs.Value) obs.Record {
	return obs.Record{Time: t0.Add(at), Model: "m", Version: "1", RequestID: id, Prediction: pred}
}

// step is one call in a join scenario: Observe(rec) when label is nil,
// else Label(*label, t0+at), which must return an error matching want.
type step struct {
	rec   obs.Record
	label *Label
	at    time.Duration
	want  error
}

func observe(r obs.Record) step { return step{rec: r} }

func label(id string, index int, v obs.Value, at time.Duration, want error) step {
	return step{label: &Label{RequestID: id, Index: index, Value: v}, at: at, want: want}
}

// counts are the Stats a join scenario checks.
type counts struct {
	stored, synthetic, noRequestID, noPrediction, dropped, evicted, expired uint64
	matched, unknown, labelExpired, duplicate, invalid                      uint64
}

func countsOf(s Stats) counts {
	return counts{
		s.Stored, s.Synthetic, s.NoRequestID, s.NoPrediction, s.Dropped, s.Evicted, s.Expired,
		s.LabelsMatched, s.LabelsUnknown, s.LabelsExpired, s.LabelsDuplicate, s.LabelsInvalid,
	}
}

func TestJoin(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   Config
		steps []step
		want  counts
	}{
		{
			name: "batch request by index",
			steps: []step{
				observe(rec("a", 0, cat("x"))), observe(rec("a", 0, cat("y"))), observe(rec("a", 0, cat("z"))),
				observe(rec("b", 0, cat("w"))),
				label("a", 2, cat("z"), time.Minute, nil),
				label("a", 0, cat("x"), time.Minute, nil),
				label("a", 1, cat("q"), time.Minute, nil),
				label("a", 3, cat("x"), time.Minute, ErrIndexOutOfRange),
				label("a", -1, cat("x"), time.Minute, ErrIndexOutOfRange),
				label("b", 0, cat("w"), time.Minute, nil),
			},
			want: counts{stored: 4, matched: 4, invalid: 2},
		},
		{
			name: "unknown id",
			steps: []step{
				observe(rec("a", 0, cat("x"))),
				label("nope", 0, cat("x"), 0, ErrUnknownRequest),
				label("", 0, cat("x"), 0, ErrInvalidLabel),
			},
			want: counts{stored: 1, unknown: 1, invalid: 1},
		},
		{
			name: "duplicate keeps the first label",
			steps: []step{
				observe(rec("a", 0, cat("x"))),
				label("a", 0, cat("x"), 0, nil),
				label("a", 0, cat("y"), 0, ErrDuplicate),
			},
			want: counts{stored: 1, matched: 1, duplicate: 1},
		},
		{
			name: "refused label leaves the prediction labellable",
			cfg:  Config{Task: TaskRegression},
			steps: []step{
				observe(rec("a", 0, num(2))),
				label("a", 0, cat("x"), 0, ErrKindMismatch),
				label("a", 0, obs.Value{}, 0, ErrInvalidLabel),
				label("a", 0, num(math.NaN()), 0, ErrInvalidLabel),
				label("a", 0, num(math.Inf(1)), 0, ErrInvalidLabel),
				label("a", 0, num(2.5), 0, nil),
			},
			want: counts{stored: 1, matched: 1, invalid: 4},
		},
		{
			name: "ttl: expired while held, unknown once dropped",
			cfg:  Config{TTL: time.Hour},
			steps: []step{
				observe(rec("a", 0, cat("x"))),
				observe(rec("b", 30*time.Minute, cat("x"))),
				label("a", 0, cat("x"), time.Hour, nil), // exactly TTL: still in time
				label("b", 0, cat("x"), 91*time.Minute, ErrExpired),
				observe(rec("c", 91*time.Minute, cat("x"))), // drops b
				label("b", 0, cat("x"), 91*time.Minute, ErrUnknownRequest),
				label("c", 0, cat("x"), 91*time.Minute, nil),
			},
			want: counts{stored: 3, expired: 1, matched: 2, unknown: 1, labelExpired: 1},
		},
		{
			name: "eviction of the oldest at max_pending",
			cfg:  Config{MaxPending: 3},
			steps: []step{
				observe(rec("a", 0, cat("x"))), observe(rec("a", 0, cat("y"))),
				observe(rec("b", 0, cat("x"))),
				label("a", 1, cat("y"), 0, nil),
				observe(rec("c", 0, cat("x"))), // evicts a/0
				label("a", 0, cat("x"), 0, ErrUnknownRequest),
				observe(rec("d", 0, cat("x"))), // drops a/1, labelled: not counted
				label("a", 1, cat("x"), 0, ErrUnknownRequest),
				label("b", 0, cat("x"), 0, nil),
				label("d", 0, cat("x"), 0, nil),
			},
			want: counts{stored: 5, evicted: 1, matched: 3, unknown: 2},
		},
		{
			name: "batch longer than max_pending",
			cfg:  Config{MaxPending: 2},
			steps: []step{
				observe(rec("a", 0, cat("x"))), observe(rec("a", 0, cat("y"))), observe(rec("a", 0, cat("z"))),
				label("a", 0, cat("x"), 0, ErrUnknownRequest),
				label("a", 2, cat("z"), 0, nil),
				observe(rec("a", 0, cat("w"))), observe(rec("a", 0, cat("v"))), // a's slots all dropped
				label("a", 1, cat("y"), 0, ErrUnknownRequest),
				label("a", 4, cat("v"), 0, nil),
			},
			want: counts{stored: 5, evicted: 2, matched: 2, unknown: 2},
		},
		{
			name: "records left out",
			cfg:  Config{MaxModels: 1},
			steps: []step{
				observe(obs.Record{RequestID: "s", Synthetic: true, Prediction: []obs.Value{cat("x")}}),
				observe(rec("", 0, cat("x"))),
				observe(rec(strings.Repeat("i", MaxRequestIDBytes+1), 0, cat("x"))),
				observe(rec("none", 0)),
				observe(rec("missing", 0, obs.Value{Name: "label"})),
				observe(rec("a", 0, cat("x"))),
				observe(obs.Record{Model: "other", RequestID: "o", Prediction: []obs.Value{cat("x")}}),
				label("s", 0, cat("x"), 0, ErrUnknownRequest),
				label("none", 0, cat("x"), 0, ErrUnknownRequest),
				label("o", 0, cat("x"), 0, ErrUnknownRequest),
			},
			want: counts{stored: 1, synthetic: 1, noRequestID: 2, noPrediction: 2, dropped: 1, unknown: 3},
		},
		{
			name: "instance without prediction keeps the indexes",
			steps: []step{
				observe(rec("a", 0)), observe(rec("a", 0, cat("y"))), observe(rec("a", 0)),
				observe(rec("a", 0, cat("w"))), observe(rec("a", 0)),
				label("a", 0, cat("x"), 0, ErrNoPrediction),
				label("a", 1, cat("y"), 0, nil),
				label("a", 2, cat("x"), 0, ErrNoPrediction),
				label("a", 3, cat("w"), 0, nil),
				label("a", 4, cat("x"), 0, ErrIndexOutOfRange), // after the last prediction
			},
			want: counts{stored: 2, noPrediction: 3, matched: 2, invalid: 3},
		},
		{
			name: "id reused later starts a new request",
			steps: []step{
				observe(rec("a", 0, cat("x"))),
				observe(rec("b", 0, cat("x"))),
				observe(rec("a", 0, cat("x"))), observe(rec("a", 0, cat("x"))),
				label("a", 1, cat("x"), 0, nil),
				label("a", 0, cat("x"), 0, nil),
				label("a", 0, cat("x"), 0, ErrDuplicate), // the first a is gone
			},
			want: counts{stored: 4, matched: 2, duplicate: 1},
		},
		{
			name: "prediction value by name",
			cfg:  Config{Prediction: "class"},
			steps: []step{
				observe(rec("a", 0, named(num(0.9), "proba"), named(cat("x"), "class"))),
				observe(rec("b", 0, cat("x"))), // named label, not class
				label("a", 0, cat("x"), 0, nil),
				label("b", 0, cat("x"), 0, ErrUnknownRequest),
			},
			want: counts{stored: 1, noPrediction: 1, matched: 1, unknown: 1},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr, err := New(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range c.steps {
				if s.label == nil {
					tr.Observe(s.rec)
					continue
				}
				if err := tr.Label(*s.label, t0.Add(s.at)); !errors.Is(err, s.want) || (err == nil) != (s.want == nil) {
					t.Errorf("step %d: Label(%+v) = %v, want %v", i, *s.label, err, s.want)
				}
			}
			st := tr.Stats()
			if got := countsOf(st); got != c.want {
				t.Errorf("stats\n got %+v\nwant %+v", got, c.want)
			}
			if n := uint64(len(c.steps)); st.Observed+st.LabelsMatched+st.LabelsUnknown+st.LabelsExpired+st.LabelsDuplicate+st.LabelsInvalid != n {
				t.Errorf("observed and labels counted %+v, want %d calls", st, n)
			}
		})
	}
}

// A label without a time is taken at the latest time seen.
func TestLabelWithoutTime(t *testing.T) {
	tr := mustNew(t, Config{Window: 1})
	tr.Observe(rec("a", 0, cat("x")))
	tr.Observe(rec("b", time.Minute, cat("x")))
	if err := tr.Label(Label{RequestID: "a", Value: cat("x")}, time.Time{}); err != nil {
		t.Errorf("label of a: %v", err)
	}
	if s := tr.Last(); len(s) != 1 || !s[0].End.Equal(t0.Add(time.Minute)) {
		t.Errorf("Last() = %+v, want a window closed at the time of b", s)
	}
}

// Long classes are cut the same way in predictions and labels, on a rune
// boundary.
func TestLongCategories(t *testing.T) {
	long := strings.Repeat("é", MaxCategoryBytes) // 2 bytes each
	if c := clipCategory("a" + long); len(c) != MaxCategoryBytes-1 || !utf8.ValidString(c) {
		t.Errorf("clipCategory cut to %d bytes, valid UTF-8 %v", len(c), utf8.ValidString(c))
	}
	tr := mustNew(t, Config{Window: 2})
	feed(t, tr, "a", cats(long, long+"x"), cats(long+"y", "z"), 0)
	if s := tr.Last(); len(s) != 1 || s[0].Classes != 2 || s[0].Metrics[0].Value != 0.5 {
		t.Errorf("Last() = %+v, want accuracy 0.5 over 2 classes", s)
	}
}

// The default prediction is the value named "label", else the first one.
func TestDefaultPrediction(t *testing.T) {
	tr := mustNew(t, Config{Window: 2})
	tr.Observe(rec("a", 0, named(cat("p"), "proba"), cat("x")))
	tr.Observe(rec("b", 0, named(cat("y"), "prediction"), named(cat("z"), "other")))
	for _, l := range []Label{{RequestID: "a", Value: cat("x")}, {RequestID: "b", Value: cat("y")}} {
		if err := tr.Label(l, t0); err != nil {
			t.Fatal(err)
		}
	}
	res := tr.Results(t0, nil)
	if len(res) != 3 || res[0].Value != 1 {
		t.Fatalf("results %+v, want accuracy 1", res)
	}
}

func mustNew(t *testing.T, cfg Config) *Tracker {
	t.Helper()
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// feed observes one single-instance request per pair and labels it at
// t0+at, failing the test on any refusal.
func feed(t *testing.T, tr *Tracker, prefix string, truth, pred []obs.Value, at time.Duration) {
	t.Helper()
	for i := range truth {
		id := fmt.Sprintf("%s%d", prefix, i)
		tr.Observe(rec(id, at, pred[i]))
		if err := tr.Label(Label{RequestID: id, Value: truth[i]}, t0.Add(at)); err != nil {
			t.Fatalf("label %s: %v", id, err)
		}
	}
}

func cats(s ...string) []obs.Value {
	out := make([]obs.Value, len(s))
	for i := range s {
		out[i] = cat(s[i])
	}
	return out
}

func nums(v ...float64) []obs.Value {
	out := make([]obs.Value, len(v))
	for i := range v {
		out[i] = num(v[i])
	}
	return out
}

// metricsOf returns the metric values of results, by name, and checks
// their labels and samples.
func metricsOf(t *testing.T, res []obs.Result, samples int) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, r := range res {
		if r.Name != ResultName || r.Labels["model"] != "m" || r.Labels["version"] != "1" || len(r.Labels) != 3 || r.Samples != samples {
			t.Errorf("result %s%s samples %d, want %s{model m, version 1, metric} samples %d", r.Name, r.Labels, r.Samples, ResultName, samples)
		}
		out[r.Labels["metric"]] = r.Value
	}
	return out
}

func TestWindowByCount(t *testing.T) {
	tr := mustNew(t, Config{Window: 6})
	truth := []string{"cat", "dog", "bird", "cat", "dog", "cat"}
	pred := []string{"cat", "cat", "bird", "dog", "dog", "cat"}
	feed(t, tr, "r", cats(truth[:5]...), cats(pred[:5]...), 0)
	if res := tr.Results(t0.Add(time.Hour), nil); len(res) != 0 {
		t.Fatalf("open window gave %v", res)
	}
	feed(t, tr, "s", cats(truth[5:]...), cats(pred[5:]...), time.Minute)
	feed(t, tr, "u", cats("cat"), cats("cat"), time.Minute) // opens the next window
	res := tr.Results(t0.Add(time.Hour), nil)
	got := metricsOf(t, res, 6)
	p, r := PrecisionRecall(truth, pred)
	want := map[string]float64{MetricAccuracy: Accuracy(truth, pred), MetricPrecision: p, MetricRecall: r}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("metrics %v, want %v", got, want)
	}
	if len(res) != 3 || !res[0].Time.Equal(t0.Add(time.Minute)) {
		t.Errorf("results %+v, want 3 at the time of the 6th label", res)
	}
	for _, r := range res {
		keys := make([]string, len(r.Evidence))
		for i, f := range r.Evidence {
			keys[i] = f.Key + "=" + f.Value
		}
		if want := "task=classification labels=6 window=6 classes=3 refused=0 span=1m0s"; strings.Join(keys, " ") != want {
			t.Errorf("evidence %v, want %s", keys, want)
		}
	}
	if res := tr.Results(t0.Add(time.Hour), nil); len(res) != 0 {
		t.Errorf("second Results gave %v", res)
	}
	if st := tr.Stats(); st.Windows != 1 {
		t.Errorf("windows %d, want 1", st.Windows)
	}
}

func TestWindowByDuration(t *testing.T) {
	tr := mustNew(t, Config{Window: 100, Duration: time.Minute, MinLabels: 3})
	feed(t, tr, "a", nums(1, 2), nums(1.5, 2), 0)
	if res := tr.Results(t0.Add(2*time.Minute), nil); len(res) != 0 {
		t.Fatalf("window under min_labels gave %v", res)
	}
	feed(t, tr, "b", nums(4), nums(3), 2*time.Minute)
	feed(t, tr, "c", nums(10), nums(10.25), 3*time.Minute)
	if res := tr.Results(t0.Add(59*time.Second), nil); len(res) != 0 {
		t.Fatalf("window before its duration gave %v", res)
	}
	res := tr.Results(t0.Add(5*time.Minute), nil)
	truth, pred := []float64{1, 2, 4, 10}, []float64{1.5, 2, 3, 10.25}
	got := metricsOf(t, res, 4)
	want := map[string]float64{MetricMAE: MAE(truth, pred), MetricRMSE: RMSE(truth, pred)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("metrics %v, want %v", got, want)
	}
	last := tr.Last()
	if len(last) != 1 || last[0].Task != TaskRegression || last[0].Pairs != 4 ||
		!last[0].Start.Equal(t0) || !last[0].End.Equal(t0.Add(5*time.Minute)) {
		t.Errorf("Last() = %+v", last)
	}
}

// With Task auto the first pair that settles it decides a model version's
// task; integral numbers alone are classes.
func TestAutoTask(t *testing.T) {
	t.Run("integral numbers are classes", func(t *testing.T) {
		tr := mustNew(t, Config{Window: 4})
		feed(t, tr, "a", nums(1, 0, 2, 1), nums(1, 1, 2, 0), 0)
		got := metricsOf(t, tr.Results(t0, nil), 4)
		truth, pred := []string{"1", "0", "2", "1"}, []string{"1", "1", "2", "0"}
		p, r := PrecisionRecall(truth, pred)
		want := map[string]float64{MetricAccuracy: Accuracy(truth, pred), MetricPrecision: p, MetricRecall: r}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("metrics %v, want %v", got, want)
		}
	})
	t.Run("a category settles classification", func(t *testing.T) {
		tr := mustNew(t, Config{Window: 3})
		feed(t, tr, "a", nums(1, 2), nums(1, 3), 0)
		feed(t, tr, "b", cats("1"), nums(1), 0) // 1 and "1" are one class
		got := metricsOf(t, tr.Results(t0, nil), 3)
		if got[MetricAccuracy] != 2.0/3 {
			t.Errorf("first window %v, want accuracy 2/3", got)
		}
		feed(t, tr, "c", nums(2.5), nums(2.5), 0)
		feed(t, tr, "d", nums(7), cats("7"), 0)
		feed(t, tr, "e", nums(3), nums(3), 0)
		if s := tr.Last(); len(s) != 1 || s[0].Task != TaskClassification || s[0].Classes != 3 || s[0].Metrics[0].Value != 1 {
			t.Errorf("Last() = %+v, want a classification of 3 classes, accuracy 1", s)
		}
	})
	t.Run("a fraction settles regression", func(t *testing.T) {
		tr := mustNew(t, Config{Window: 3})
		feed(t, tr, "a", nums(1, 2), nums(1, 3), 0)
		feed(t, tr, "b", nums(2), nums(2.5), 0)
		tr.Observe(rec("c", 0, cat("x")))
		if err := tr.Label(Label{RequestID: "c", Value: num(1)}, t0); !errors.Is(err, ErrKindMismatch) {
			t.Errorf("category after regression: %v, want ErrKindMismatch", err)
		}
		got := metricsOf(t, tr.Results(t0, nil), 3)
		truth, pred := []float64{1, 2, 2}, []float64{1, 3, 2.5}
		want := map[string]float64{MetricMAE: MAE(truth, pred), MetricRMSE: RMSE(truth, pred)}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("metrics %v, want %v", got, want)
		}
		if r := tr.Results(t0, nil); len(r) != 0 {
			t.Errorf("refused label opened a window: %v", r)
		}
	})
	t.Run("classification is fixed by config", func(t *testing.T) {
		tr := mustNew(t, Config{Window: 2, Task: TaskClassification})
		feed(t, tr, "a", nums(0.5, 1), nums(0.5, 2), 0)
		if got := metricsOf(t, tr.Results(t0, nil), 2); got[MetricAccuracy] != 0.5 {
			t.Errorf("metrics %v, want accuracy 0.5", got)
		}
	})
}

// The Results of a window equal the pure functions on its pairs, also for
// windows of many pairs and classes.
func TestResultsMatchMetrics(t *testing.T) {
	const n = 5000
	tr := mustNew(t, Config{Window: n})
	var truth, pred []string
	for i := range n {
		truth = append(truth, fmt.Sprint("c", i%17))
		pred = append(pred, fmt.Sprint("c", i*i%19))
	}
	feed(t, tr, "r", cats(truth...), cats(pred...), 0)
	got := metricsOf(t, tr.Results(t0, nil), n)
	p, r := PrecisionRecall(truth, pred)
	want := map[string]float64{MetricAccuracy: Accuracy(truth, pred), MetricPrecision: p, MetricRecall: r}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestWindowsDropped(t *testing.T) {
	tr := mustNew(t, Config{Window: 1})
	for i := range maxReady + 2 {
		feed(t, tr, fmt.Sprint("r", i, "-"), cats("x"), cats("x"), time.Duration(i)*time.Second)
	}
	res := tr.Results(t0.Add(time.Hour), nil)
	if len(res) != 3*maxReady || !res[0].Time.Equal(t0.Add(2*time.Second)) {
		t.Errorf("%d results from %v, want %d from the third window", len(res), res[0].Time, 3*maxReady)
	}
	if st := tr.Stats(); st.Windows != maxReady+2 || st.WindowsDropped != 2 {
		t.Errorf("windows %d dropped %d, want %d and 2", st.Windows, st.WindowsDropped, maxReady+2)
	}
}

// The ring grows past its first size and keeps every prediction findable;
// then it evicts in arrival order.
func TestPendingGrows(t *testing.T) {
	const max = 3 * initialRing
	tr := mustNew(t, Config{MaxPending: max, Window: MaxWindow})
	for i := range max + 10 {
		tr.Observe(rec(fmt.Sprint(i/2), time.Duration(i), cat("x"))) // two instances a request
	}
	for i := range max + 10 {
		err := tr.Label(Label{RequestID: fmt.Sprint(i / 2), Index: i % 2, Value: cat("x")}, t0)
		if want := error(nil); i < 10 {
			if !errors.Is(err, ErrUnknownRequest) {
				t.Fatalf("label %d: %v, want ErrUnknownRequest", i, err)
			}
		} else if err != want {
			t.Fatalf("label %d: %v", i, err)
		}
	}
	if st := tr.Stats(); st.Pending != max || st.Evicted != 10 {
		t.Errorf("pending %d evicted %d, want %d and 10", st.Pending, st.Evicted, max)
	}
}

// Results drops expired predictions when no records come.
func TestResultsExpires(t *testing.T) {
	tr := mustNew(t, Config{TTL: time.Minute})
	tr.Observe(rec("a", 0, cat("x")))
	tr.Results(t0.Add(2*time.Minute), nil)
	if st := tr.Stats(); st.Pending != 0 || st.Expired != 1 {
		t.Errorf("pending %d expired %d, want 0 and 1", st.Pending, st.Expired)
	}
}

func TestConfig(t *testing.T) {
	if err := (&Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	tr := mustNew(t, Config{Window: 10})
	want := DefaultConfig()
	want.Window, want.MinLabels = 10, 10
	if got := tr.Config(); got != want {
		t.Errorf("config with defaults %+v, want %+v", got, want)
	}
	for _, c := range []struct {
		name string
		cfg  Config
		want []string
	}{
		{"task", Config{Task: "ranking"}, []string{`unknown task "ranking" (want auto, classification or regression)`}},
		{"window", Config{Window: -1}, []string{"window -1 is not between 1 and 1048576"}},
		{"min_labels", Config{Window: 20, MinLabels: 21}, []string{"min_labels 21 is larger than the window, 20"}},
		{"min_labels default window", Config{MinLabels: 1001}, []string{"min_labels 1001 is larger than the window, 1000"}},
		{"all", Config{Duration: -time.Second, MinLabels: -1, TTL: -time.Minute, MaxPending: MaxMaxPending + 1, MaxModels: -2}, []string{
			"duration -1s is negative",
			"min_labels -1 is negative",
			"ttl -1m0s is negative",
			"max_pending 16777217 is not between 1 and 16777216",
			"max_models -2 is not between 1 and 65536",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, c.want) {
				t.Errorf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if _, err := New(c.cfg); err == nil {
				t.Error("New accepted the config")
			}
		})
	}
}

// Labels come from several goroutines while the pipeline goroutine
// observes and asks for results; run with -race. Every labeler labels
// every instance: exactly one label of each counts.
func TestConcurrentLabels(t *testing.T) {
	const (
		requests = 2000
		batch    = 3
		labelers = 4
		window   = 50
	)
	tr := mustNew(t, Config{Window: window, MaxPending: requests * batch})
	var (
		wg       sync.WaitGroup
		observed atomic.Int64 // requests observed
		results  int
	)
	wg.Go(func() {
		for i := range requests {
			for range batch {
				tr.Observe(rec(fmt.Sprint("r", i), time.Duration(i)*time.Millisecond, cat(fmt.Sprint(i%3))))
			}
			observed.Store(int64(i + 1))
			if i%100 == 0 {
				results += len(tr.Results(t0.Add(time.Duration(i)*time.Millisecond), nil))
			}
		}
	})
	for w := range labelers {
		wg.Go(func() {
			for i := range requests {
				for observed.Load() <= int64(i) {
					runtime.Gosched()
				}
				for j := range batch {
					l := Label{RequestID: fmt.Sprint("r", i), Index: j, Value: cat(fmt.Sprint((i + w) % 3))}
					if err := tr.Label(l, t0.Add(time.Duration(i)*time.Millisecond)); err != nil && !errors.Is(err, ErrDuplicate) {
						t.Errorf("label %+v: %v", l, err)
					}
				}
				if i%10 == 0 {
					_, _ = tr.Last(), tr.Stats()
				}
			}
		})
	}
	wg.Wait()
	results += len(tr.Results(t0.Add(time.Hour), nil))
	st := tr.Stats()
	const labelled = requests * batch
	if st.LabelsMatched != labelled || st.LabelsDuplicate != (labelers-1)*labelled {
		t.Errorf("matched %d duplicate %d, want %d and %d", st.LabelsMatched, st.LabelsDuplicate, labelled, (labelers-1)*labelled)
	}
	if st.Windows != labelled/window || results != 3*int(st.Windows-st.WindowsDropped) {
		t.Errorf("%d windows (%d dropped) and %d results, want %d windows, 3 results each", st.Windows, st.WindowsDropped, results, labelled/window)
	}
}
