package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "dir", "test.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func put(t *testing.T, s *Store, bucket string, kv ...string) {
	t.Helper()
	err := s.Update(func(tx *Tx) error {
		for i := 0; i+1 < len(kv); i += 2 {
			if err := tx.Put([]byte(bucket), []byte(kv[i]), []byte(kv[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func get(t *testing.T, s *Store, bucket, key string) []byte {
	t.Helper()
	var v []byte
	if err := s.View(func(tx *Tx) error { v = tx.Get([]byte(bucket), []byte(key)); return nil }); err != nil {
		t.Fatalf("View: %v", err)
	}
	return v
}

func TestRoundTrip(t *testing.T) {
	s, path := openTemp(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode = %v, want 0600", perm)
	}
	put(t, s, "b", "k1", "v1", "k2", "v2")
	if v := get(t, s, "b", "k1"); string(v) != "v1" {
		t.Errorf("Get(k1) = %q, want v1", v)
	}
	if v := get(t, s, "b", "missing"); v != nil {
		t.Errorf("Get(missing) = %q, want nil", v)
	}
	if v := get(t, s, "nobucket", "k1"); v != nil {
		t.Errorf("Get in missing bucket = %q, want nil", v)
	}
	err = s.Update(func(tx *Tx) error {
		if err := tx.Delete([]byte("b"), []byte("k1")); err != nil {
			return err
		}
		return tx.Delete([]byte("nobucket"), []byte("k1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := get(t, s, "b", "k1"); v != nil {
		t.Errorf("Get after Delete = %q, want nil", v)
	}
}

func TestEmptyValue(t *testing.T) {
	s, _ := openTemp(t)
	err := s.Update(func(tx *Tx) error { return tx.Put([]byte("b"), []byte("k"), nil) })
	if err != nil {
		t.Fatal(err)
	}
	if v := get(t, s, "b", "k"); v == nil || len(v) != 0 {
		t.Errorf("Get of an empty value = %#v, want empty and non-nil", v)
	}
}

func TestGetCopies(t *testing.T) {
	s, _ := openTemp(t)
	put(t, s, "b", "k", "value")
	v := get(t, s, "b", "k")
	put(t, s, "b", "k", "other", "k2", strings.Repeat("x", 10000)) // reuse/remap pages
	if string(v) != "value" {
		t.Errorf("value changed after a later Update: %q", v)
	}
}

func TestRollback(t *testing.T) {
	s, _ := openTemp(t)
	boom := errors.New("boom")
	err := s.Update(func(tx *Tx) error {
		if err := tx.Put([]byte("b"), []byte("k"), []byte("v")); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update error = %v, want fn's error unchanged", err)
	}
	if v := get(t, s, "b", "k"); v != nil {
		t.Errorf("rolled-back Put is visible: %q", v)
	}
}

func TestViewIsReadOnly(t *testing.T) {
	s, path := openTemp(t)
	put(t, s, "b", "k", "v")
	err := s.View(func(tx *Tx) error { return tx.Put([]byte("b"), []byte("k2"), []byte("v")) })
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Put in View = %v, want an error naming %s", err, path)
	}
	err = s.View(func(tx *Tx) error { _, err := tx.NextSeq([]byte("b")); return err })
	if err == nil {
		t.Error("NextSeq in View succeeded")
	}
}

func TestReopenKeepsData(t *testing.T) {
	s, path := openTemp(t)
	put(t, s, "b", "k", "v")
	var seq uint64
	if err := s.Update(func(tx *Tx) (err error) { seq, err = tx.NextSeq([]byte("seq")); return err }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	if v := get(t, s2, "b", "k"); string(v) != "v" {
		t.Errorf("after reopen Get = %q, want v", v)
	}
	var seq2 uint64
	if err := s2.Update(func(tx *Tx) (err error) { seq2, err = tx.NextSeq([]byte("seq")); return err }); err != nil {
		t.Fatal(err)
	}
	if seq != 1 || seq2 != 2 {
		t.Errorf("sequences = %d, %d; want 1, 2", seq, seq2)
	}
}

func TestScan(t *testing.T) {
	s, _ := openTemp(t)
	put(t, s, "b", "b/2", "", "a/1", "", "b/1", "", "b", "", "c/1", "", "b/10", "")
	scan := func(prefix string, stopAfter int) []string {
		t.Helper()
		var got []string
		var p []byte
		if prefix != "" {
			p = []byte(prefix)
		}
		err := s.View(func(tx *Tx) error {
			return tx.Scan([]byte("b"), p, func(k, _ []byte) error {
				got = append(got, string(k))
				if len(got) == stopAfter {
					return StopScan
				}
				return nil
			})
		})
		if err != nil {
			t.Fatalf("Scan(%q): %v", prefix, err)
		}
		return strings.Fields(strings.Join(got, " "))
	}
	for _, c := range []struct {
		name, prefix string
		stop         int
		want         string
	}{
		{"all", "", 0, "a/1 b b/1 b/10 b/2 c/1"},
		{"prefix", "b/", 0, "b/1 b/10 b/2"},
		{"prefix includes exact key", "b", 0, "b b/1 b/10 b/2"},
		{"no match", "d", 0, ""},
		{"past the end", "zz", 0, ""},
		{"stop", "", 2, "a/1 b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(scan(c.prefix, c.stop), " "); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	boom := errors.New("boom")
	err := s.View(func(tx *Tx) error {
		return tx.Scan([]byte("b"), nil, func(_, _ []byte) error { return boom })
	})
	if err != boom {
		t.Errorf("Scan error = %v, want fn's error", err)
	}
	err = s.View(func(tx *Tx) error {
		return tx.Scan([]byte("nobucket"), nil, func(_, _ []byte) error { return boom })
	})
	if err != nil {
		t.Errorf("Scan of a missing bucket = %v, want nil", err)
	}
}

func TestLockedBySecondOpen(t *testing.T) {
	_, path := openTemp(t)
	s2, err := Open(path, Options{LockTimeout: -1})
	if err == nil {
		s2.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !errors.Is(err, ErrLocked) {
		t.Errorf("error %v is not ErrLocked", err)
	}
	if want := "store " + path + " is locked by another process"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestCorruptFile(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"text", []byte(strings.Repeat("this is not a bbolt file\n", 1000))},
		{"zeros", make([]byte, 64<<10)},
		{"short", []byte("xx")},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.db")
			if err := os.WriteFile(path, c.data, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open of a corrupt file succeeded")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("error %v is not ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestDamagedMetaPage(t *testing.T) {
	s, path := openTemp(t)
	put(t, s, "b", "k", "v")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Both meta pages live in the first two pages; flip bytes in each.
	page := os.Getpagesize()
	for _, off := range []int{32, page + 32} {
		if off < len(data) {
			data[off] ^= 0xff
		}
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, Options{}); err == nil {
		s.Close()
		t.Fatal("Open with both meta pages damaged succeeded")
	} else if !errors.Is(err, ErrCorrupt) {
		t.Errorf("error %v is not ErrCorrupt", err)
	}
}
