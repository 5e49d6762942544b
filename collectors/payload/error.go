package payload

import (
	"fmt"
	"slices"
)

// The reasons an exchange fails to decode. Error.Reason is always one of
// them, so that it can be a metric label.
const (
	ReasonEmpty        = "empty"         // the request body is empty
	ReasonTooLarge     = "too_large"     // a body, once decompressed, exceeds Config.MaxBodyBytes
	ReasonGzip         = "gzip"          // a gzip body is corrupt
	ReasonEncoding     = "encoding"      // a Content-Encoding other than gzip or identity
	ReasonHeader       = "header"        // a malformed Inference-Header-Content-Length
	ReasonJSON         = "json"          // a body is not JSON
	ReasonType         = "type"          // a JSON value has the wrong type (an object where a list belongs)
	ReasonMissingField = "missing_field" // a field the protocol requires is absent
	ReasonShape        = "shape"         // tensor shapes and data disagree, or rows differ in width
	ReasonMismatch     = "mismatch"      // the response has a different batch size than the request
	ReasonUnsupported  = "unsupported"   // a valid form this package does not read (binary tensors, tftensor)
)

var reasons = []string{
	ReasonEmpty, ReasonTooLarge, ReasonGzip, ReasonEncoding, ReasonHeader, ReasonJSON,
	ReasonType, ReasonMissingField, ReasonShape, ReasonMismatch, ReasonUnsupported,
}

// Reasons returns every value Error.Reason can take, sorted, so that a
// counter can be initialised for each.
func Reasons() []string {
	r := slices.Clone(reasons)
	slices.Sort(r)
	return r
}

// Error is a malformed exchange. Protocol, Body and Reason come from small
// fixed sets and can be metric labels; Err says what was wrong and never
// quotes more than a few bytes of the payload.
type Error struct {
	Protocol string // the protocol decoded, or "auto" when detection failed
	Body     string // "request" or "response"
	Reason   string // one of the Reason constants
	Err      error
}

// Error implements the error interface.
func (e *Error) Error() string {
	return "payload: " + e.Protocol + " " + e.Body + ": " + e.Reason + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// errf returns an *Error with reason and a formatted message; Decode fills in
// Protocol and Body.
func errf(reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Err: fmt.Errorf(format, args...)}
}

// snippet returns at most 16 bytes of b, for quoting in a message.
func snippet(b []byte) string {
	if len(b) > 16 {
		return string(b[:16]) + "…"
	}
	return string(b)
}

func prefixErr(what string, i int, err error) error {
	return fmt.Errorf("%s[%d]: %w", what, i, err)
}
