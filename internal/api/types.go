package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// DriftList is the answer of GET /api/v1/drift.
type DriftList struct {
	Models []DriftState `json:"models"`
}

// DriftState is where the drift monitor of one model version stands.
type DriftState struct {
	Model   string `json:"model"`
	Version string `json:"version"`
	// Status is "collecting_reference", "waiting_for_window", "no_drift"
	// or "drift".
	Status string `json:"status"`
	// ReferenceRows is 0 while the reference is being collected.
	ReferenceRows int    `json:"reference_rows"`
	Observed      uint64 `json:"observed"`
	Windows       uint64 `json:"windows"`
	// The last window compared, when there is one.
	LastWindow      *time.Time `json:"last_window,omitempty"`
	Drift           *bool      `json:"drift,omitempty"`
	DriftedFeatures int        `json:"drifted_features"`
	Features        int        `json:"features"`
	CurrentRows     int        `json:"current_rows"`
	// TopFeatures are the drifted features of largest effect, first.
	TopFeatures []string `json:"top_features,omitempty"`
	LastError   string   `json:"last_error,omitempty"`
	// Report is the URL path of the full last report.
	Report string `json:"report,omitempty"`
}

// FeedbackRequest is the body of POST /api/v1/feedback.
type FeedbackRequest struct {
	Labels []LabelItem `json:"labels"`
}

// LabelItem is the ground truth of one prediction: the index-th instance
// (0 for a request of one) of the request whose response carried
// X-Request-Id: request_id.
type LabelItem struct {
	RequestID string     `json:"request_id"`
	Index     int        `json:"index"`
	Label     LabelValue `json:"label"`
}

func (l *LabelItem) check() error {
	switch {
	case l.RequestID == "":
		return errors.New("request_id is empty")
	case l.Index < 0:
		return fmt.Errorf("index %d is negative", l.Index)
	case l.Label.value.Kind == obs.Missing:
		return errors.New("label is missing or null")
	}
	return nil
}

// LabelValue is a label: a JSON number (a regression target or a class
// number), a string (a class) or a boolean (the class 1 or 0, as the
// payload decoders read boolean predictions).
type LabelValue struct {
	value obs.Value
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *LabelValue) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		v.value = obs.Value{}
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v.value = obs.Value{Kind: obs.Category, Str: s}
	case bytes.Equal(b, []byte("true")):
		v.value = obs.Value{Kind: obs.Number, Num: 1} // as the payload decoders read booleans
	case bytes.Equal(b, []byte("false")):
		v.value = obs.Value{Kind: obs.Number, Num: 0}
	default:
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil || math.IsInf(f, 0) {
			return fmt.Errorf("label %.40s: want a number, a string or a boolean", b)
		}
		v.value = obs.Value{Kind: obs.Number, Num: f}
	}
	return nil
}

// Value returns the label as an obs.Value.
func (v LabelValue) Value() obs.Value { return v.value }

// FeedbackResponse is the answer of POST /api/v1/feedback: how many labels
// were joined, and why each other one was not.
type FeedbackResponse struct {
	Accepted int         `json:"accepted"`
	Rejected []Rejection `json:"rejected,omitempty"`
}

// Rejection is a label that was not joined.
type Rejection struct {
	Index     int    `json:"index"` // position in the request's labels
	RequestID string `json:"request_id"`
	Error     string `json:"error"`
}

// PerformanceList is the answer of GET /api/v1/performance.
type PerformanceList struct {
	Models []Performance `json:"models"`
}

// Performance is the last window of labelled predictions of one model
// version.
type Performance struct {
	Model   string `json:"model"`
	Version string `json:"version"`
	Task    string `json:"task"` // "classification" or "regression"
	// Metrics by name: accuracy, precision, recall or mae, rmse.
	Metrics map[string]float64 `json:"metrics"`
	Labels  int                `json:"labels"` // labelled predictions in the window
	At      time.Time          `json:"at"`
}

// AlertList is the answer of GET /api/v1/alerts.
type AlertList struct {
	Alerts []Alert `json:"alerts"`
}

// Alert is one alert of a rule: a series of results (a label set) whose
// condition holds, held, or just stopped holding.
type Alert struct {
	Rule        string            `json:"rule"`
	State       string            `json:"state"`    // pending, firing or resolved
	Severity    string            `json:"severity"` // warning or critical
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Value       float64           `json:"value"`
	Samples     int               `json:"samples,omitempty"`
	// Evidence is what the detector said, most important first.
	Evidence    []Field    `json:"evidence,omitempty"`
	ActiveAt    time.Time  `json:"active_at"`
	FiredAt     *time.Time `json:"fired_at,omitempty"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
	Fingerprint string     `json:"fingerprint"` // 16 hex digits
	// SilencedBy lists the IDs of the silences that mute the alert now.
	SilencedBy []string `json:"silenced_by,omitempty"`
	// Notifications is the delivery of the last notification about the
	// alert to each receiver its routes name, and of the copies sent to
	// fallback receivers.
	Notifications []Delivery `json:"notifications,omitempty"`
}

// Delivery is the state of one notification to one receiver.
type Delivery struct {
	Receiver string `json:"receiver"`
	// State is pending (to send, or retrying), delivered or failed (given
	// up: the receiver refused it, or too many attempts failed).
	State     string     `json:"state"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	Status    string     `json:"status"` // of the notification: firing or resolved
	DedupKey  string     `json:"dedup_key"`
	QueuedAt  time.Time  `json:"queued_at"`
	NextTry   *time.Time `json:"next_try,omitempty"` // pending only
	DoneAt    *time.Time `json:"done_at,omitempty"`  // delivered or failed
	// FallbackTo is the receiver a copy went to, while this one was down
	// or after it refused the notification.
	FallbackTo string `json:"fallback_to,omitempty"`
}

// Field is one piece of evidence.
type Field struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SilenceList is the answer of GET /api/v1/silences.
type SilenceList struct {
	Silences []Silence `json:"silences"`
}

// Silence is a silence as the API shows it.
type Silence struct {
	ID        string    `json:"id"`
	State     string    `json:"state"` // pending, active or expired
	Matchers  []string  `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment,omitempty"`
}

// SilenceRequest is the body of POST /api/v1/silences: matchers such as
// alertname=model_drift or model=~"iris|wine", all of which must match,
// and either ends_at or a duration ("2h"); starts_at defaults to now.
type SilenceRequest struct {
	Matchers  []string   `json:"matchers"`
	StartsAt  *time.Time `json:"starts_at,omitempty"`
	EndsAt    *time.Time `json:"ends_at,omitempty"`
	Duration  string     `json:"duration,omitempty"`
	CreatedBy string     `json:"created_by"`
	Comment   string     `json:"comment,omitempty"`
}

// SuspectList is the answer of GET /api/v1/suspects.
type SuspectList struct {
	Suspects []Suspect `json:"suspects"`
}

// Suspect is a client suspected of adversarial use. Client is a salted
// hash of the client's key, never the key.
type Suspect struct {
	Client string    `json:"client"`
	Signal string    `json:"signal"` // stateful, extraction or boundary
	Score  float64   `json:"score"`
	Since  time.Time `json:"since"`
}

// OutlierList is the answer of GET /api/v1/outliers.
type OutlierList struct {
	Outliers []Outlier `json:"outliers"`
}

// Outlier is a recent record scored above its model's outlier threshold,
// with the features that made it extreme.
type Outlier struct {
	Model     string           `json:"model"`
	Version   string           `json:"version"`
	Method    string           `json:"method"` // iforest, mahalanobis, knn or zscore
	Time      time.Time        `json:"time"`
	RequestID string           `json:"request_id,omitempty"`
	Score     float64          `json:"score"`
	Threshold float64          `json:"threshold"`
	Features  []OutlierFeature `json:"features"` // the most extreme first
}

// OutlierFeature is one extreme feature of an outlier: its value and its
// robust z-score (x − median) / (1.4826·MAD) against the reference.
type OutlierFeature struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Z     float64 `json:"z"`
}
