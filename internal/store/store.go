// Package store is driftwatch's embedded key-value store: one file, opened
// by one process, holding named buckets of byte keys in sorted order.
//
// It is a thin layer over bbolt (go.etcd.io/bbolt) that keeps the API
// small and makes every error name the file.
//
// # Durability
//
// Every Update is one bbolt transaction: its writes become visible and
// durable together or not at all. bbolt writes the changed pages, fsyncs
// (fdatasync on Linux) the file, then writes and fsyncs the meta page
// before Update returns. Once Update has returned nil its writes survive
// a crash of the process (SIGKILL) or of the machine; a crash during
// Update leaves the store as it was before. Open also syncs the directory
// of a file it creates. The price is two syncs per Update, so batch writes
// that belong together into one Update.
//
// # Locking
//
// Open takes an exclusive flock on the file. A second Open of the same
// file, from another process or from the same one (the lock belongs to the
// open file description), fails after Options.LockTimeout with ErrLocked.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultLockTimeout is the LockTimeout used when Options leaves it zero.
const DefaultLockTimeout = time.Second

// ErrLocked is returned (wrapped) by Open when another process holds the
// file: the error reads "store PATH is locked by another process".
var ErrLocked = errors.New("locked by another process")

// ErrCorrupt is returned (wrapped) by Open when the file exists but is not
// a valid store: damaged meta pages, another format, another version.
var ErrCorrupt = errors.New("corrupt or not a store file")

// StopScan may be returned by the function given to Tx.Scan to end the
// scan early; Scan then returns nil. Like fs.SkipAll it is a control
// value, hence not named Err….
var StopScan = errors.New("stop scan")

// Options tunes Open.
type Options struct {
	// LockTimeout is how long Open waits for another process to release
	// the file lock before it fails with ErrLocked. Zero means
	// DefaultLockTimeout; a negative value means do not wait.
	LockTimeout time.Duration
}

// Store is an open store file. It is safe for concurrent use: any number
// of View transactions run in parallel with one Update at a time.
type Store struct {
	db   *bolt.DB
	path string
}

// Tx is a transaction handed to the function of Store.Update or
// Store.View. It is valid only while that function runs and must not be
// used from other goroutines.
type Tx struct {
	tx   *bolt.Tx
	path string
}

// Open opens the store file at path, creating it with mode 0600 (and its
// directory with mode 0700) if it does not exist.
func Open(path string, opts Options) (s *Store, err error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store %s: create directory: %w", path, err)
		}
	}
	timeout := opts.LockTimeout
	switch {
	case timeout == 0:
		timeout = DefaultLockTimeout
	case timeout < 0:
		timeout = time.Nanosecond // bbolt: 0 would wait forever
	}
	// bbolt may panic on a file whose meta pages pass their checksum but
	// whose other pages are damaged; that is bad input, not a bug here.
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("store %s is %w: %v", path, ErrCorrupt, r)
		}
	}()
	_, statErr := os.Stat(path)
	created := errors.Is(statErr, fs.ErrNotExist)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout})
	switch {
	case err == nil:
		if created {
			// Make the new file's directory entry durable too.
			if err := syncDir(filepath.Dir(path)); err != nil {
				_ = db.Close()
				return nil, fmt.Errorf("store %s: sync directory: %w", path, err)
			}
		}
		return &Store{db: db, path: path}, nil
	case errors.Is(err, bolt.ErrTimeout):
		return nil, fmt.Errorf("store %s is %w", path, ErrLocked)
	case errors.Is(err, bolt.ErrInvalid), errors.Is(err, bolt.ErrChecksum),
		errors.Is(err, bolt.ErrVersionMismatch), errors.Is(err, bolt.ErrInvalidMapping):
		return nil, fmt.Errorf("store %s is %w: %w", path, ErrCorrupt, err)
	default:
		return nil, fmt.Errorf("store %s: open: %w", path, err)
	}
}

// Path returns the path the store was opened with.
func (s *Store) Path() string { return s.path }

// Close releases the file and its lock. Transactions still running are
// waited for.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store %s: close: %w", s.path, err)
	}
	return nil
}

// Update runs fn in a read-write transaction and commits it if fn returns
// nil; otherwise it rolls back and returns fn's error unchanged. A nil
// return means the writes are on disk (see the package comment).
func (s *Store) Update(fn func(tx *Tx) error) error {
	var fnErr error
	err := s.db.Update(func(btx *bolt.Tx) error {
		fnErr = fn(&Tx{tx: btx, path: s.path})
		return fnErr
	})
	if err != nil && fnErr == nil {
		return fmt.Errorf("store %s: commit: %w", s.path, err)
	}
	return err
}

// View runs fn in a read-only transaction, which sees one consistent
// snapshot, and returns fn's error unchanged.
func (s *Store) View(fn func(tx *Tx) error) error {
	var fnErr error
	err := s.db.View(func(btx *bolt.Tx) error {
		fnErr = fn(&Tx{tx: btx, path: s.path})
		return fnErr
	})
	if err != nil && fnErr == nil {
		return fmt.Errorf("store %s: view: %w", s.path, err)
	}
	return err
}

// Put sets key to value in bucket, creating the bucket if needed. It fails
// in a View transaction, and for an empty bucket name or key. value is
// copied.
func (tx *Tx) Put(bucket, key, value []byte) error {
	b, err := tx.tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return fmt.Errorf("store %s: bucket %q: %w", tx.path, bucket, err)
	}
	if err := b.Put(key, value); err != nil {
		return fmt.Errorf("store %s: put %q in %q: %w", tx.path, key, bucket, err)
	}
	return nil
}

// Get returns a copy of the value of key in bucket, or nil if the bucket
// or the key does not exist.
func (tx *Tx) Get(bucket, key []byte) []byte {
	b := tx.tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	v := b.Get(key)
	if v == nil {
		return nil
	}
	return append(make([]byte, 0, len(v)), v...)
}

// Delete removes key from bucket. A missing bucket or key is not an error;
// a View transaction is.
func (tx *Tx) Delete(bucket, key []byte) error {
	b := tx.tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	if err := b.Delete(key); err != nil {
		return fmt.Errorf("store %s: delete %q from %q: %w", tx.path, key, bucket, err)
	}
	return nil
}

// Scan calls fn for each key of bucket that starts with prefix, in
// ascending byte order of the keys; a nil prefix scans the whole bucket.
// k and v are valid only during the call: copy them to keep them. fn must
// not modify bucket (collect the keys, then change them after Scan).
// Scan stops at the first error from fn and returns it, except StopScan,
// which ends the scan with a nil error. A missing bucket scans nothing.
func (tx *Tx) Scan(bucket, prefix []byte, fn func(k, v []byte) error) error {
	b := tx.tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			if errors.Is(err, StopScan) {
				return nil
			}
			return err
		}
	}
	return nil
}

// NextSeq returns the next value of the bucket's sequence, starting at 1,
// creating the bucket if needed. The sequence never goes back, even when
// the keys that used it are deleted. It fails in a View transaction.
func (tx *Tx) NextSeq(bucket []byte) (uint64, error) {
	b, err := tx.tx.CreateBucketIfNotExists(bucket)
	if err != nil {
		return 0, fmt.Errorf("store %s: bucket %q: %w", tx.path, bucket, err)
	}
	n, err := b.NextSequence()
	if err != nil {
		return 0, fmt.Errorf("store %s: sequence of %q: %w", tx.path, bucket, err)
	}
	return n, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func hasPrefix(k, prefix []byte) bool {
	return len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix)
}
