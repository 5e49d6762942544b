package performance

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Label is the ground truth of one instance of a request, posted by a
// client after the prediction.
type Label struct {
	RequestID string
	// Index is the instance's position in the request's batch; 0 for a
	// request of one instance.
	Index int
	// Value is the true value: a Category (a class) or a finite Number
	// (a class when integral, or a regression target).
	Value obs.Value
}

// Why a Label was refused. Label returns them or errors wrapping them; test
// with errors.Is. The prediction of a refused label stays labellable unless
// the error is ErrDuplicate.
var (
	// ErrUnknownRequest: no prediction of this request is held: the id was
	// never seen (or not yet: the label came before its prediction was
	// decoded), or its predictions were dropped, after TTL or to make room
	// (MaxPending).
	ErrUnknownRequest = errors.New("unknown request id")
	// ErrExpired: the prediction is still held but is older than TTL. Once
	// the expired prediction is dropped, its labels get ErrUnknownRequest.
	ErrExpired = errors.New("prediction expired")
	// ErrIndexOutOfRange: the index is negative or beyond the request's
	// last instance that had a prediction value.
	ErrIndexOutOfRange = errors.New("instance index out of range")
	// ErrNoPrediction: the instance had no prediction value to compare
	// (see Config.Prediction).
	ErrNoPrediction = errors.New("instance has no prediction")
	// ErrDuplicate: the instance is already labelled; the first label
	// counts.
	ErrDuplicate = errors.New("instance already labelled")
	// ErrKindMismatch: a category where the model version's task is a
	// regression, which needs numbers.
	ErrKindMismatch = errors.New("label does not fit the task")
	// ErrInvalidLabel: an empty request id, or a value that is missing or
	// not a finite number.
	ErrInvalidLabel = errors.New("invalid label")
)

// Refusals with details, made once so that Label does not allocate.
var (
	errEmptyID        = fmt.Errorf("%w: empty request id", ErrInvalidLabel)
	errMissingValue   = fmt.Errorf("%w: missing value", ErrInvalidLabel)
	errNotFinite      = fmt.Errorf("%w: not a finite number", ErrInvalidLabel)
	errKindRegression = fmt.Errorf("%w: a regression needs numbers, got a category", ErrKindMismatch)
	errKindDecided    = fmt.Errorf("%w: the model version's labels are regression numbers, got a category", ErrKindMismatch)
)

// Label joins l with its stored prediction and adds the pair to the window
// of the prediction's model version, at now (which starts the window when it
// is the first pair, and closes the window when it is the Window-th). It
// returns nil, or why the label was refused (see ErrUnknownRequest and the
// errors after it); every outcome is counted in Stats. Label is safe for
// concurrent use, with itself and with Observe and Results.
func (t *Tracker) Label(l Label, now time.Time) error {
	err := t.label(&l, now)
	c := &t.stats
	switch {
	case err == nil:
		c.labelsMatched.Add(1)
	case errors.Is(err, ErrUnknownRequest):
		c.labelsUnknown.Add(1)
	case errors.Is(err, ErrExpired):
		c.labelsExpired.Add(1)
	case errors.Is(err, ErrDuplicate):
		c.labelsDuplicate.Add(1)
	default:
		c.labelsInvalid.Add(1)
	}
	return err
}

func (t *Tracker) label(l *Label, now time.Time) error {
	if l.RequestID == "" {
		return errEmptyID
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s, instances, err := t.pend.find(l.RequestID, l.Index)
	if errors.Is(err, ErrIndexOutOfRange) {
		return fmt.Errorf("%w: index %d of a request of %d instances", err, l.Index, instances)
	}
	if err != nil {
		return err
	}
	if now.IsZero() {
		now = time.Unix(0, t.now)
	}
	m := t.models[s.model]
	switch {
	case s.labelled:
		err = ErrDuplicate
	case now.UnixNano()-s.time > int64(t.cfg.TTL):
		err = ErrExpired
	default:
		err = validLabel(&l.Value)
	}
	if err == nil {
		truth := l.Value
		truth.Str = clipCategory(truth.Str)
		pred := obs.Value{Kind: s.kind, Num: s.num, Str: s.str}
		err = m.add(&truth, &pred, now, t.cfg.Task != TaskAuto)
	}
	if err != nil {
		m.refused++
		return err
	}
	s.labelled, s.str = true, ""
	if m.pairs() >= t.cfg.Window {
		t.close(m, now)
	}
	return nil
}

// validLabel returns nil when v can be compared: a Category or a finite
// Number.
func validLabel(v *obs.Value) error {
	switch {
	case v.Kind == obs.Category:
		return nil
	case v.Kind != obs.Number:
		return errMissingValue
	case math.IsNaN(v.Num) || math.IsInf(v.Num, 0):
		return errNotFinite
	}
	return nil
}
