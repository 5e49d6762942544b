package demo

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// TestDemo runs the demo for 20 s: the first windows show no drift, later
// ones drift with their features named, the drift alert fires and reaches
// the console and the local webhook, the injected outliers fire the
// outlier alert, the adversarial client is flagged and no other client
// is, and the synthetic checks pass.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo runs for 20 s")
	}
	var out syncBuffer
	sum, err := Run(context.Background(), Options{Duration: 20 * time.Second, Out: &out,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	text := out.b.String()
	t.Logf("demo output:\n%s", text)
	first := slices.Index(sum.Verdicts, "drift")
	if len(sum.Verdicts) < 3 || sum.Verdicts[0] != "no_drift" || first < 1 {
		t.Errorf("verdicts %v: want no drift first, then drift", sum.Verdicts)
	}
	if len(sum.TopFeatures) == 0 || !slices.Contains(sum.AlertsFired, "model_drift") || sum.Notifications < 1 {
		t.Errorf("summary %+v: want top features, model_drift fired and a webhook notification", sum)
	}
	if !slices.Contains(sum.AlertsFired, "outliers") || sum.Outliers < brokenRows {
		t.Errorf("summary %+v: want the outliers alert fired and at least the %d broken rows listed", sum, brokenRows)
	}
	if !sum.AttackerFlagged || sum.OthersFlagged != 0 || !slices.Contains(sum.AlertsFired, "adversarial_client") {
		t.Errorf("summary %+v: want the adversarial client flagged (and alerted on), no other", sum)
	}
	if sum.ChecksPassed < 1 || sum.ChecksFailed != 0 {
		t.Errorf("synthetic checks: %d passed, %d failed", sum.ChecksPassed, sum.ChecksFailed)
	}
	for _, want := range []string{"/metrics", "/api/v1/drift", "no drift", "DRIFT in", "ALERT model_drift", "ALERT outliers", "SUSPECT", "breast-cancer: 1 client(s) suspected", "(the adversarial client", "outlier: request", "[FIRING] console", "webhook receiver: got a firing notification", "== summary"} {
		if !strings.Contains(text, want) {
			t.Errorf("the output lacks %q", want)
		}
	}
}
