package proxy

import (
	"errors"
	"io"
	"sync"
	"time"
)

// reqBody tees the request body into a capture as the transport reads it.
// The transport may still read after the handler returned (see ReverseProxy),
// so the capture is guarded, and take ends it.
type reqBody struct {
	rc   io.ReadCloser
	mu   sync.Mutex
	c    capture
	eof  bool
	done bool
}

var errBodyDone = errors.New("proxy: request body read after the exchange ended")

// Read implements io.Reader.
func (b *reqBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	done := b.done
	b.mu.Unlock()
	if done {
		return 0, errBodyDone
	}
	n, err := b.rc.Read(p) // not under the lock: it may block on the client
	b.mu.Lock()
	if !b.done {
		b.c.write(p[:n])
		b.eof = b.eof || err == io.EOF
	}
	b.mu.Unlock()
	return n, err
}

// Close implements io.Closer.
func (b *reqBody) Close() error { return b.rc.Close() }

// take ends the capture and returns it.
func (b *reqBody) take() (c capture, eof bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = true
	c, b.c = b.c, capture{}
	return c, b.eof
}

// respBody tees the response body into a capture as ReverseProxy copies it
// to the client, and notes when the upstream body ended.
type respBody struct {
	rc      io.ReadCloser
	limit   int64
	c       capture
	eof     bool
	eofAt   time.Time
	readErr error
}

// Read implements io.Reader.
func (b *respBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		b.c.write(p[:n])
	}
	if err != nil {
		if err == io.EOF {
			if !b.eof {
				b.eof, b.eofAt = true, time.Now()
			}
		} else if b.readErr == nil {
			b.readErr = err
		}
	}
	return n, err
}

// Close implements io.Closer.
func (b *respBody) Close() error { return b.rc.Close() }

// copyBuffers is ReverseProxy's BufferPool: 32 KiB copy buffers reused
// through a sync.Pool, instead of one allocation per request.
type copyBuffers struct{}

const copyBufSize = 32 << 10

var copyBufPool = sync.Pool{New: func() any { return new([copyBufSize]byte) }}

// Get implements httputil.BufferPool.
func (copyBuffers) Get() []byte { return copyBufPool.Get().(*[copyBufSize]byte)[:] }

// Put implements httputil.BufferPool.
func (copyBuffers) Put(b []byte) {
	if cap(b) == copyBufSize {
		copyBufPool.Put((*[copyBufSize]byte)(b[:copyBufSize]))
	}
}
