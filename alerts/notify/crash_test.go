package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/webhook"
	"github.com/driftwatch/driftwatch/alerts/outbox"
	"github.com/driftwatch/driftwatch/alerts/route"
	"github.com/driftwatch/driftwatch/alerts/rules"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/store"
)

// The engine crash test: a child process runs the alert engine (rules →
// dispatcher → outbox → deliverer → webhook) on 1,000 distinct alerts
// while the receiver is slow; it is killed with SIGKILL mid-delivery and
// started again on the same state file, as a restarted sidecar would be
// (re-evaluating the same results). Every alert must reach the receiver
// at least once; duplicates are counted and printed.

const (
	crashEnv    = "DRIFTWATCH_ENGINE_CRASH_CHILD" // value: state file
	crashHook   = "DRIFTWATCH_ENGINE_CRASH_HOOK"
	crashAlerts = 1000
)

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		os.Exit(crashChild(path, os.Getenv(crashHook)))
	}
	os.Exit(m.Run())
}

// crashChild fires crashAlerts alerts, one group each, and delivers them
// until it is killed or every one is delivered.
func crashChild(path, hook string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 2 }
	st, err := store.Open(path, store.Options{LockTimeout: 10 * time.Second})
	if err != nil {
		return fail(err)
	}
	ob, err := outbox.Open(st, outbox.Options{})
	if err != nil {
		return fail(err)
	}
	one := 1.0
	eng, err := rules.New([]rules.Rule{{Name: "crash", Result: "r", Op: ">=", Warning: &one}})
	if err != nil {
		return fail(err)
	}
	tree, err := route.Compile(route.Config{Receiver: "hook", GroupBy: []string{route.GroupByAll}, GroupWait: new(time.Millisecond)})
	if err != nil {
		return fail(err)
	}
	wh, err := webhook.New(&webhook.Config{URL: notify.Secret(hook)}, nil)
	if err != nil {
		return fail(err)
	}
	now := time.Now()
	res := make([]obs.Result, crashAlerts)
	for i := range res {
		res[i] = obs.Result{Name: "r", Labels: obs.Labels{"id": strconv.Itoa(i)}, Value: 1, Time: now}
	}
	d := route.NewDispatcher(tree, nil)
	d.Add(now, eng.Evaluate(now, res))
	var items []outbox.Item
	for _, n := range d.Flush(now.Add(time.Millisecond), nil) {
		b, err := json.Marshal(&notify.Message{Receiver: n.Receiver, GroupKey: n.GroupKey, GroupLabels: n.GroupLabels, Status: n.Status, Alerts: n.Alerts})
		if err != nil {
			return fail(err)
		}
		items = append(items, outbox.Item{Receiver: n.Receiver, DedupKey: n.DedupKey, Payload: b,
			Group: n.GroupKey, RepeatAfter: n.RepeatInterval})
	}
	if _, err := ob.EnqueueBatch(items, now); err != nil {
		return fail(err)
	}
	fmt.Println("queued", len(items))
	del := &notify.Deliverer{Outbox: ob, Notifiers: map[string]notify.Notifier{"hook": wh},
		Backoff: notify.Backoff{Base: 10 * time.Millisecond, Max: 100 * time.Millisecond}, Poll: 10 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go del.Run(ctx)
	for {
		time.Sleep(20 * time.Millisecond)
		stats, err := ob.Stats()
		if err != nil {
			return fail(err)
		}
		if stats["hook"].Pending == 0 {
			fmt.Println("done")
			return 0
		}
	}
}

func TestEngineCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("the crash test runs two child processes")
	}
	var (
		mu       sync.Mutex
		received = map[string]int{} // alert id → times received
		total    int
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		time.Sleep(2 * time.Millisecond) // a slow receiver
		mu.Lock()
		for _, a := range p.Alerts {
			received[a.Labels["id"]]++
			total++
		}
		mu.Unlock()
	}))
	defer hook.Close()
	state := filepath.Join(t.TempDir(), "state.db")
	start := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+state, crashHook+"="+hook.URL)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	count := func() (distinct, all int) {
		mu.Lock()
		defer mu.Unlock()
		return len(received), total
	}

	// First run: killed once about a third of the alerts were received.
	child := start()
	deadline := time.Now().Add(60 * time.Second)
	for n, _ := count(); n < crashAlerts/3 && time.Now().Before(deadline); n, _ = count() {
		time.Sleep(5 * time.Millisecond)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	killedAt, _ := count()
	if killedAt == 0 || killedAt >= crashAlerts {
		t.Fatalf("killed after %d alerts were received: the test did not kill mid-delivery", killedAt)
	}

	// Second run, same state file, same results: it must finish the job.
	child = start()
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("second run: %v", err)
		}
	case <-time.After(90 * time.Second):
		_ = child.Process.Signal(syscall.SIGKILL)
		t.Fatal("second run did not deliver everything within 90 s")
	}
	distinct, all := count()
	lost := crashAlerts - distinct
	fmt.Printf("engine crash test: %d alerts, killed after %d received; %d received in all, %d lost, %d duplicates\n",
		crashAlerts, killedAt, all, lost, all-distinct)
	if lost != 0 {
		t.Errorf("%d alerts never reached the receiver", lost)
	}
}
