package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// MaxResponseBytes bounds how much of a receiver's answer PostJSON reads.
const MaxResponseBytes = 64 << 10

// maxDrainBytes bounds how much of an unread body Drain discards to let
// the connection be reused; a longer body is left and the connection
// closed.
const maxDrainBytes = 256 << 10

// UserAgent is sent with every request PostJSON makes.
const UserAgent = "driftwatch"

// PostJSON marshals body as JSON and POSTs it to url with headers (which
// may be nil) through c (http.DefaultClient when nil). It reads at most
// MaxResponseBytes of the answer and returns Classify's or
// ClassifyTransport's verdict: nil for a 2xx answer, context.Canceled when
// ctx was cancelled, else an *Error.
//
// The returned error never contains url, its user information, its
// secret path segments or its query values (see RedactURL): they are
// replaced by "<redacted>".
func PostJSON(ctx context.Context, c *http.Client, url Secret, headers http.Header, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("marshal payload: %w", err)
	}
	if c == nil {
		c = http.DefaultClient
	}
	raw := url.Reveal()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, raw, bytes.NewReader(b))
	if err != nil {
		return &Error{Reason: "invalid url " + RedactURL(raw)}
	}
	for k, vs := range headers {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("Content-Type", "application/json")
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	resp, err := c.Do(req)
	if err != nil {
		return scrub(ClassifyTransport(err), raw)
	}
	defer Drain(resp)
	ans, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if cerr := Classify(resp, ans); cerr != nil || err == nil {
		return scrub(cerr, raw)
	}
	// A 2xx whose body broke off: the receiver most likely has the message.
	return nil
}

// Drain discards what is left of resp's body, up to a bound, and closes
// it, so that the connection can be reused. It accepts a nil resp.
func Drain(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainBytes))
	_ = resp.Body.Close()
}

// scrub returns err with every secret part of u replaced in its text.
// It keeps an *Error's classification.
func scrub(err error, u string) error {
	if err == nil || !containsAny(err.Error(), secretParts(u)) {
		return err
	}
	var e *Error
	if !errors.As(err, &e) {
		return &scrubbed{msg: scrubString(err.Error(), u), err: err}
	}
	c := *e
	c.Reason = scrubString(c.Reason, u)
	if c.Err != nil && containsAny(c.Err.Error(), secretParts(u)) {
		c.Err = &scrubbed{msg: scrubString(c.Err.Error(), u), err: c.Err}
	}
	return &c
}

func containsAny(s string, parts []string) bool {
	for _, p := range parts {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// scrubbed is an error whose text had secrets removed. It unwraps to the
// original, so errors.Is still works, but the original's text is never
// shown by it.
type scrubbed struct {
	msg string
	err error
}

func (s *scrubbed) Error() string { return s.msg }
func (s *scrubbed) Unwrap() error { return s.err }
