package console

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/notifytest"
	"github.com/driftwatch/driftwatch/internal/obs"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	n, err := New(&Config{}, nil, notify.WithOutput(&buf))
	if err != nil {
		t.Fatal(err)
	}
	m := notifytest.SampleMessage()
	m.Alerts[1].Annotations["summary"] = "line one\nline two"
	m.Alerts[1].Evidence = append(m.Alerts[1].Evidence, obs.Field{Key: "note", Value: "a b=c"})
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	notifytest.Golden(t, filepath.Join("testdata", "sample.txt"), buf.Bytes(), *update)
}

func TestConcurrentBlocksDoNotInterleave(t *testing.T) {
	var buf bytes.Buffer
	n, _ := New(&Config{}, nil, notify.WithOutput(&buf))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { _ = n.Notify(context.Background(), notifytest.SampleMessage()) })
	}
	wg.Wait()
	var one bytes.Buffer
	Format(&one, notifytest.SampleMessage())
	if got, want := buf.String(), strings.Repeat(one.String(), 8); got != want {
		t.Errorf("blocks interleaved:\n%s", got)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestErrors(t *testing.T) {
	if _, err := New(&Config{Output: "printer"}, nil); err == nil || err.Error() != `console: output "printer" is not stdout or stderr` {
		t.Errorf("New = %v", err)
	}
	n, _ := New(&Config{}, nil, notify.WithOutput(failWriter{}))
	err := n.Notify(context.Background(), notifytest.SampleMessage())
	if ok, _ := notify.Retryable(err); err == nil || ok {
		t.Errorf("Notify to a broken writer = %v, want a permanent error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Notify(ctx, notifytest.SampleMessage()); !errors.Is(err, context.Canceled) {
		t.Errorf("Notify with a cancelled context = %v", err)
	}
}
