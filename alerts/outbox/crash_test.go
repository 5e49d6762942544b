package outbox

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/store"
)

// crashEnv, when set, makes the test binary act as the crash-test child:
// the value is the store path.
const crashEnv = "DRIFTWATCH_OUTBOX_CRASH_CHILD"

// crashChildN bounds the child's loop; the parent kills it long before.
const crashChildN = 100000

// TestMain runs the crash-test child when the parent re-executes the test
// binary with crashEnv set.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		os.Exit(crashChild(path, os.Getenv(crashEnv+"_ROUND")))
	}
	os.Exit(m.Run())
}

// crashChild enqueues entries and acks every third one, writing
// "E id" after each Enqueue and "A id" after each Ack has returned.
// os.Stdout is unbuffered, so each line is in the pipe before the
// loop goes on.
func crashChild(path, round string) int {
	st, err := store.Open(path, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	o, err := Open(st, Options{MaxPending: crashChildN * 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	now := time.Now()
	for i := range crashChildN {
		id, err := o.Enqueue("r"+strconv.Itoa(i%3), fmt.Sprintf("round%s/%d", round, i), []byte("p"), now)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Fprintf(os.Stdout, "E %d\n", id)
		if i%3 == 0 {
			if err := o.Ack(id, now); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
			fmt.Fprintf(os.Stdout, "A %d\n", id)
		}
	}
	return 0
}

// TestCrash kills a child process that is writing to the outbox with
// SIGKILL at a random point, a few rounds on the same file, and checks
// that everything the child was told was written is there.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "outbox.db")
	enqueued := map[uint64]bool{}
	acked := map[uint64]bool{}
	const rounds = 3
	for round := range rounds {
		killAfter := 20 + rand.IntN(300) // lines read before the kill
		e, a := crashRound(t, path, round, killAfter)
		for _, id := range e {
			enqueued[id] = true
		}
		for _, id := range a {
			acked[id] = true
		}
	}

	st := openStore(t, path)
	defer st.Close()
	o, err := Open(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lost, notDelivered := 0, 0
	for id := range enqueued {
		e, err := o.Get(id)
		if err != nil {
			lost++
			t.Errorf("entry %d was enqueued before the kill but is gone: %v", id, err)
			continue
		}
		if acked[id] && e.State != StateDelivered {
			notDelivered++
			t.Errorf("entry %d was acked before the kill but is %s", id, e.State)
		}
		if !acked[id] && e.State == StateFailed {
			t.Errorf("entry %d is failed", id)
		}
	}
	// The indexes agree with the entries: every pending entry is due,
	// in ID order, and the counts match.
	stats, err := o.Stats()
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for r, c := range stats {
		due := dueIDs(t, o, r, time.Now().Add(time.Hour), 0)
		if len(due) != c.Pending {
			t.Errorf("receiver %s: %d due, %d pending by count", r, len(due), c.Pending)
		}
		for i := 1; i < len(due); i++ {
			if due[i] <= due[i-1] {
				t.Errorf("receiver %s: Due not in ID order: %v", r, due)
				break
			}
		}
		total += c.Pending + c.Delivered
	}
	all, err := o.Status("")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != total {
		t.Errorf("Status has %d entries, counts say %d", len(all), total)
	}
	t.Logf("%d rounds: %d enqueued and %d acked before the kills; %d lost, %d acks lost; %d entries in the store",
		rounds, len(enqueued), len(acked), lost, notDelivered, len(all))
}

// crashRound runs the child, kills it with SIGKILL after it has reported
// killAfter lines, and returns the IDs it reported as enqueued and acked.
func crashRound(t *testing.T, path string, round, killAfter int) (enqueued, acked []uint64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path, crashEnv+"_ROUND="+strconv.Itoa(round))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	sc := bufio.NewScanner(out)
	lines := 0
	for sc.Scan() {
		kind, num, ok := strings.Cut(sc.Text(), " ")
		id, err := strconv.ParseUint(num, 10, 64)
		if !ok || err != nil {
			t.Fatalf("round %d: bad line from the child: %q", round, sc.Text())
		}
		switch kind {
		case "E":
			enqueued = append(enqueued, id)
		case "A":
			acked = append(acked, id)
		}
		if lines++; lines == killAfter {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill: %v", err)
			}
			killed = true
			// Keep reading: lines written before the kill are in the pipe.
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("round %d: child ended after %d lines before the kill: %v\n%s", round, lines, err, stderr.String())
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: child was not killed by SIGKILL: %v\n%s", round, err, stderr.String())
	}
	t.Logf("round %d: killed after %d lines (%d enqueued, %d acked reported)", round, lines, len(enqueued), len(acked))
	return enqueued, acked
}
