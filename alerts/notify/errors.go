package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxRetryAfter caps the wait a receiver can ask for with Retry-After. A
// longer wait, or a date further away, is cut to MaxRetryAfter, so a
// misbehaving receiver cannot park deliveries for hours.
const MaxRetryAfter = 5 * time.Minute

// maxReason bounds Error.Reason, in bytes.
const maxReason = 256

// Error is a failed delivery, classified: it says whether trying again can
// help and how long the receiver asked to wait.
type Error struct {
	Retryable bool
	// RetryAfter is the receiver's Retry-After, capped at MaxRetryAfter;
	// zero when it sent none.
	RetryAfter time.Duration
	Status     int    // HTTP status; zero for transport errors
	Reason     string // a short, sanitized snippet of the answer's body
	Err        error  // the transport error, if any
}

// Error renders e as, for example,
//
//	status 429 Too Many Requests (retryable, retry after 7s): rate_limited
func (e *Error) Error() string {
	var b strings.Builder
	if e.Status != 0 {
		fmt.Fprintf(&b, "status %d %s", e.Status, http.StatusText(e.Status))
	} else {
		b.WriteString("delivery failed")
	}
	switch {
	case e.Retryable && e.RetryAfter > 0:
		fmt.Fprintf(&b, " (retryable, retry after %s)", e.RetryAfter)
	case e.Retryable:
		b.WriteString(" (retryable)")
	default:
		b.WriteString(" (permanent)")
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Classify turns an HTTP answer into an error, or nil for a 2xx status.
// body is the (bounded) answer body, or nil.
//
//   - 408, 429 and 5xx are retryable; a Retry-After header, in seconds or
//     as an HTTP-date, sets RetryAfter (capped at MaxRetryAfter);
//   - every other status, including 1xx and 3xx, is permanent.
//
// Reason is the body with control characters and runs of white space
// folded into single spaces, cut to 256 bytes (then "…"); empty when the
// body is.
func Classify(resp *http.Response, body []byte) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &Error{Status: resp.StatusCode, Reason: snippet(body)}
	switch {
	case resp.StatusCode == http.StatusRequestTimeout,
		resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode >= 500:
		e.Retryable = true
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return e
}

// parseRetryAfter reads a Retry-After value (RFC 9110 §10.2.3): a number
// of seconds or an HTTP-date. It returns 0 for an absent or bad value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

// snippet sanitizes and bounds an answer body for Error.Reason.
func snippet(body []byte) string {
	var b strings.Builder
	space := false
	for len(body) > 0 && b.Len() < maxReason {
		r, n := utf8.DecodeRune(body)
		body = body[n:]
		if r == utf8.RuneError && n <= 1 {
			r = '?'
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if b.Len()+utf8.RuneLen(r) > maxReason {
			break
		}
		b.WriteRune(r)
	}
	if len(body) > 0 {
		b.WriteString("…")
	}
	return b.String()
}

// ClassifyTransport classifies an error from http.Client.Do:
//
//   - nil stays nil;
//   - a cancelled context returns context.Canceled (what ctx.Err()
//     returns), which is not retryable: the caller gave up;
//   - anything else (connection refused or reset, a timeout including the
//     context's deadline, an early EOF, a DNS failure) is a retryable
//     *Error.
//
// The URL in a *url.Error is replaced by RedactURL's rendering of it.
func ClassifyTransport(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: RedactURL(ue.URL), Err: ue.Err}
	}
	return &Error{Retryable: true, Err: err}
}

// Retryable reports whether the operation that failed with err may
// succeed if tried again, and the wait the receiver asked for.
//
// An *Error in err's chain decides. nil and context.Canceled are not
// retryable. Any other error is retryable with no wait: notifiers are
// expected to classify their permanent failures.
func Retryable(err error) (bool, time.Duration) {
	if err == nil || errors.Is(err, context.Canceled) {
		return false, 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable, e.RetryAfter
	}
	return true, 0
}
