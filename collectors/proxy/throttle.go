package proxy

import (
	"bytes"
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// logEvery is the least time between two log lines of one throttled logger.
const logEvery = 5 * time.Second

// throttledLog logs at most one line per logEvery and adds to the next line
// how many were suppressed, like VictoriaMetrics' lib/logger throttler. It is
// safe for concurrent use and costs one atomic load when suppressing.
type throttledLog struct {
	l          *slog.Logger
	level      slog.Level
	next       atomic.Int64 // unix nanoseconds before which lines are suppressed
	suppressed atomic.Uint64
}

func (t *throttledLog) log(msg string, args ...any) {
	n, ok := t.allow()
	if !ok {
		return
	}
	if n > 0 {
		args = append(args, slog.Uint64("suppressed", n))
	}
	t.l.Log(context.Background(), t.level, msg, args...)
}

// allow reports whether a line may be logged now, and how many were
// suppressed since the last one.
func (t *throttledLog) allow() (suppressed uint64, ok bool) {
	now := time.Now().UnixNano()
	next := t.next.Load()
	if now < next || !t.next.CompareAndSwap(next, now+int64(logEvery)) {
		t.suppressed.Add(1)
		return 0, false
	}
	return t.suppressed.Swap(0), true
}

// Write implements io.Writer for ReverseProxy.ErrorLog: each write is one
// throttled line.
func (t *throttledLog) Write(p []byte) (int, error) {
	n, ok := t.allow()
	if !ok {
		return len(p), nil
	}
	msg := string(bytes.TrimSuffix(p, []byte("\n")))
	if n > 0 {
		t.l.Log(context.Background(), t.level, msg, slog.Uint64("suppressed", n))
	} else {
		t.l.Log(context.Background(), t.level, msg)
	}
	return len(p), nil
}
