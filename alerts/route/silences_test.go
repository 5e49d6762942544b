package route

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/store"
)

func TestSilencesPersist(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := OpenSilences(st)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	a, err := ss.Add(Silence{Matchers: []string{"model=iris"}, EndsAt: t0.Add(2 * time.Hour), CreatedBy: "ana", Comment: "retraining"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ss.Add(Silence{Matchers: []string{"model=wine"}, StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(3 * time.Hour), CreatedBy: "bo"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ID) != 16 || a.ID == b.ID || !a.StartsAt.Equal(t0) {
		t.Errorf("ids %q %q, start %v", a.ID, b.ID, a.StartsAt)
	}
	if _, err := ss.Add(Silence{Matchers: []string{"model=x"}, StartsAt: t0.Add(-2 * time.Hour), EndsAt: t0.Add(-time.Hour), CreatedBy: "c"}, t0); err == nil {
		t.Error("a silence that already ended was accepted")
	}
	if _, err := ss.Expire("nope", t0); !errors.Is(err, ErrNoSilence) {
		t.Errorf("Expire(nope) = %v, want ErrNoSilence", err)
	}
	if _, err := ss.Expire(a.ID, t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}

	// Reopen: both silences are back, a expired at +30m, b pending.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ss, err = OpenSilences(st)
	if err != nil {
		t.Fatal(err)
	}
	list, states := ss.List(t0.Add(45 * time.Minute))
	if len(list) != 2 || list[0].ID != b.ID || states[0] != SilencePending || list[1].ID != a.ID || states[1] != SilenceExpired {
		t.Fatalf("after reopen: %v %v", list, states)
	}
	if got := Silenced(ss.Active(t0.Add(90*time.Minute)), obs.Labels{"model": "wine"}, t0.Add(90*time.Minute)); len(got) != 1 {
		t.Errorf("wine not silenced at +90m by the pending-then-active silence: %v", got)
	}
	if n, err := ss.Prune(t0.Add(30*time.Minute+25*time.Hour), 24*time.Hour); err != nil || n != 1 {
		t.Errorf("Prune = %d, %v; want the expired silence gone", n, err)
	}
	if list, _ := ss.List(t0); len(list) != 1 {
		t.Errorf("%d silences after Prune, want 1", len(list))
	}
}
