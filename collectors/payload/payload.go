package payload

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// DefaultMaxBodyBytes bounds a body once decompressed when
// Config.MaxBodyBytes is zero.
const DefaultMaxBodyBytes = 64 << 20

// HeaderInferenceLength is the Triton binary-data extension's header: the
// body's first that many bytes are JSON.
const HeaderInferenceLength = "Inference-Header-Content-Length"

// Input is one exchange as the proxy saw it. Bodies are raw: possibly gzip,
// as Content-Encoding in the headers says. Decode does not modify Input or
// keep any reference to it or to its bodies.
type Input struct {
	Path       string      // request URL path, e.g. /v2/models/iris/versions/3/infer
	ReqHeader  http.Header // may be nil
	RespHeader http.Header // may be nil
	Req, Resp  []byte
	Status     int           // upstream status code; 0 when unknown
	Time       time.Time     // copied to every Record
	Latency    time.Duration // copied to every Record
}

// Decoder turns an exchange into one Record per instance of its batch,
// appending them to dst. It is safe for concurrent use.
//
// When the request cannot be decoded, Decode returns dst unchanged and an
// *Error. When the request decodes but the response does not (a malformed
// body, or a batch size that differs from the request's), Decode returns the
// request's records without predictions and an *Error: the features are still
// good for input drift, and the caller counts the error.
type Decoder interface {
	Decode(in *Input, dst []obs.Record) ([]obs.Record, error)
}

// DecoderFunc adapts a function to the Decoder interface.
type DecoderFunc func(in *Input, dst []obs.Record) ([]obs.Record, error)

// Decode implements the Decoder interface by calling f.
func (f DecoderFunc) Decode(in *Input, dst []obs.Record) ([]obs.Record, error) { return f(in, dst) }

// Config says how to decode one model server's traffic.
type Config struct {
	// Protocol is one of Protocols(); empty means "auto".
	Protocol string `yaml:"protocol,omitempty"`
	// Model and Version, when set, override what the URL, headers and bodies say.
	Model   string `yaml:"model,omitempty"`
	Version string `yaml:"version,omitempty"`
	// ModelHeader and VersionHeader name headers (of the request, else of the
	// response) that carry the model name and version, e.g. X-Model-Name.
	// They take precedence over the URL and the bodies.
	ModelHeader   string `yaml:"model_header,omitempty"`
	VersionHeader string `yaml:"version_header,omitempty"`
	// FeatureNames names features the payload leaves unnamed, by position in
	// the record: FeatureNames[i] names the i-th feature when that feature is
	// a column of a tensor or of a list row. Names the payload gives (object
	// keys, OIP input names of one-column inputs, Seldon names, dataframe
	// columns) are kept.
	FeatureNames []string `yaml:"feature_names,omitempty"`
	// FeaturesPath and PredictionsPath locate the instances in the request and
	// the predictions in the response for protocol "json", in the syntax of
	// ParsePath (e.g. "$.payload.rows" or "data.items[0].x"). Empty means the
	// whole body.
	FeaturesPath    string `yaml:"features_path,omitempty"`
	PredictionsPath string `yaml:"predictions_path,omitempty"`
	// MaxBodyBytes bounds each body once decompressed; 0 means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64 `yaml:"max_body_bytes,omitempty"`
}

// codec decodes the bodies of one protocol into st. Its methods return an
// *Error without Protocol and Body, which Decode fills in.
type codec interface {
	request(st *state) *Error
	response(st *state) *Error
}

// protocols maps each protocol name to its constructor. Config.Validate, New
// and Protocols all read this one map.
var protocols = map[string]func(c *Config) (codec, error){
	"auto":       newAuto,
	"oip-v2":     func(*Config) (codec, error) { return oipV2{}, nil },
	"tf-serving": func(*Config) (codec, error) { return tfServing{}, nil },
	"seldon-v1":  func(*Config) (codec, error) { return seldonV1{}, nil },
	"mlflow":     func(*Config) (codec, error) { return mlflow{}, nil },
	"json":       newGeneric,
}

// Protocols returns the names Config.Protocol accepts, sorted.
func Protocols() []string {
	names := make([]string, 0, len(protocols))
	for name := range protocols {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func (c *Config) protocol() string {
	if c.Protocol == "" {
		return "auto"
	}
	return c.Protocol
}

// Validate checks c without side effects.
func (c *Config) Validate() error {
	_, err := c.compile()
	return err
}

func (c *Config) compile() (codec, error) {
	p := c.protocol()
	newCodec, ok := protocols[p]
	if !ok {
		return nil, fmt.Errorf("unknown protocol %q (want one of %s)", p, strings.Join(Protocols(), ", "))
	}
	if c.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("max_body_bytes is %d, must not be negative", c.MaxBodyBytes)
	}
	if p != "json" && (c.FeaturesPath != "" || c.PredictionsPath != "") {
		return nil, fmt.Errorf("features_path and predictions_path apply only to protocol json, not %s", p)
	}
	for i, name := range c.FeatureNames {
		if name == "" {
			return nil, fmt.Errorf("feature_names[%d] is empty", i)
		}
		if j := slices.Index(c.FeatureNames[:i], name); j >= 0 {
			return nil, fmt.Errorf("feature_names[%d] repeats feature_names[%d] %q", i, j, name)
		}
	}
	return newCodec(c)
}

// New returns a Decoder for cfg, or the error Validate would return.
func New(cfg Config) (Decoder, error) {
	cd, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	cfg.FeatureNames = slices.Clone(cfg.FeatureNames)
	d := &decoder{cfg: cfg, proto: cfg.protocol(), codec: cd, max: cfg.MaxBodyBytes}
	if d.max == 0 {
		d.max = DefaultMaxBodyBytes
	}
	d.strs.init()
	d.pool.New = func() any { return &state{dec: d} }
	return d, nil
}

// decoder is the Decoder New returns.
type decoder struct {
	cfg   Config
	proto string
	codec codec
	max   int64
	strs  strCache
	pool  sync.Pool
}

// state is the scratch space of one Decode call, pooled.
type state struct {
	dec       *decoder
	in        *Input
	proto     string
	codec     codec
	req, resp side
	model     string // from the URL, else the body
	version   string
	id        string
	names     []string // feature names, then prediction names
	gz        *gzip.Reader
	br        bytes.Reader
	lr        io.LimitedReader
}

// side is one body: its parsed document and the tensors read from it.
type side struct {
	zbuf    bytes.Buffer // the decompressed body
	d       doc
	tensors []tensor
	leaves  []node
	widths  []int
	offs    []int
	rows    int // -1 until a table sets it
}

// tensor is a rows×width block of leaves: row r, column j is
// leaves[off+r*stride+j].
type tensor struct {
	name               string // "" when the payload names nothing
	width, stride, off int
}

// maxKeep bounds the buffers a pooled state keeps.
const maxKeep = 1 << 20

func (s *side) reset() {
	if s.zbuf.Cap() > maxKeep {
		s.zbuf = bytes.Buffer{}
	}
	s.zbuf.Reset()
	s.d.reset()
	if cap(s.d.nodes) > maxKeep/16 {
		s.d = doc{}
	}
	if cap(s.leaves) > maxKeep/16 {
		s.leaves = nil
	}
	s.tensors = s.tensors[:0]
	s.leaves = s.leaves[:0]
	s.rows = -1
}

func (st *state) reset() {
	st.in, st.codec = nil, nil
	st.model, st.version, st.id = "", "", ""
	st.req.reset()
	st.resp.reset()
	clear(st.names)
	st.names = st.names[:0]
	st.br.Reset(nil)
	st.lr = io.LimitedReader{}
}

// Decode implements the Decoder interface.
func (d *decoder) Decode(in *Input, dst []obs.Record) ([]obs.Record, error) {
	st := d.pool.Get().(*state)
	defer func() {
		st.reset()
		d.pool.Put(st)
	}()
	st.reset()
	st.in, st.proto, st.codec = in, d.proto, d.codec
	if a, ok := st.codec.(*auto); ok {
		a.preselect(st)
	}

	if err := st.load(&st.req, in.Req, in.ReqHeader); err != nil {
		return dst, st.fail("request", err)
	}
	if err := st.codec.request(st); err != nil {
		return dst, st.fail("request", err)
	}
	if st.req.rows < 0 {
		st.req.rows = 0
	}
	var respErr error
	if len(in.Resp) > 0 && (in.Status == 0 || in.Status >= 200 && in.Status < 300) {
		err := st.load(&st.resp, in.Resp, in.RespHeader)
		if err == nil {
			err = st.codec.response(st)
		}
		if err == nil && st.resp.rows >= 0 && st.resp.rows != st.req.rows {
			err = errf(ReasonMismatch, "request has %d instances, response %d", st.req.rows, st.resp.rows)
		}
		if err != nil {
			respErr = st.fail("response", err)
			st.resp.tensors = st.resp.tensors[:0]
		}
	}
	return st.build(dst), respErr
}

func (st *state) fail(body string, e *Error) *Error {
	e.Protocol, e.Body = st.proto, body
	return e
}

// load decompresses and parses one body into s.
func (st *state) load(s *side, raw []byte, h http.Header) *Error {
	max := st.dec.max
	src := raw
	if ce := h.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		if !strings.EqualFold(ce, "gzip") && !strings.EqualFold(ce, "x-gzip") {
			return errf(ReasonEncoding, "content-encoding %q not supported", snippet([]byte(ce)))
		}
		var err *Error
		if src, err = st.gunzip(s, raw, max); err != nil {
			return err
		}
	} else if int64(len(raw)) > max {
		return errf(ReasonTooLarge, "body of %d bytes exceeds %d", len(raw), max)
	}
	if v := h.Get(HeaderInferenceLength); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > len(src) {
			return errf(ReasonHeader, "%s %q does not fit a body of %d bytes", HeaderInferenceLength, snippet([]byte(v)), len(src))
		}
		src = src[:n]
	}
	if len(src) > math.MaxInt32 {
		return errf(ReasonTooLarge, "body of %d bytes exceeds %d", len(src), math.MaxInt32)
	}
	if skipSpace(src, 0) == len(src) {
		return errf(ReasonEmpty, "empty body")
	}
	if err := s.d.parse(src); err != nil {
		return &Error{Reason: ReasonJSON, Err: err}
	}
	return nil
}

// gunzip decompresses raw into s.zbuf, reading at most max+1 bytes so that
// a small body cannot expand into an unbounded one.
func (st *state) gunzip(s *side, raw []byte, max int64) ([]byte, *Error) {
	st.br.Reset(raw)
	var err error
	if st.gz == nil {
		st.gz, err = gzip.NewReader(&st.br)
	} else {
		err = st.gz.Reset(&st.br)
	}
	if err != nil {
		return nil, errf(ReasonGzip, "%w", err)
	}
	st.lr = io.LimitedReader{R: st.gz, N: max + 1}
	n, err := s.zbuf.ReadFrom(&st.lr)
	if err != nil {
		return nil, errf(ReasonGzip, "%w", err)
	}
	if n > max {
		return nil, errf(ReasonTooLarge, "decompressed body exceeds %d bytes", max)
	}
	return s.zbuf.Bytes(), nil
}

// header returns the value of key in the request headers, else in the
// response headers.
func (st *state) header(key string) string {
	if key == "" {
		return ""
	}
	if v := st.in.ReqHeader.Get(key); v != "" {
		return v
	}
	return st.in.RespHeader.Get(key)
}

// build appends one record per request row to dst.
func (st *state) build(dst []obs.Record) []obs.Record {
	d, in := st.dec, st.in
	rows := st.req.rows
	if rows == 0 {
		return dst
	}
	model := first(d.cfg.Model, st.header(d.cfg.ModelHeader), st.model)
	version := first(d.cfg.Version, st.header(d.cfg.VersionHeader), st.version)
	id := first(st.header(obs.HeaderRequestID), st.id)
	synthetic := in.ReqHeader.Get(obs.HeaderSynthetic)
	isSynthetic := synthetic == "1" || strings.EqualFold(synthetic, "true")

	st.names = st.appendNames(st.names[:0], &st.req, d.cfg.FeatureNames, "")
	nf := len(st.names)
	st.names = st.appendNames(st.names, &st.resp, nil, "prediction")
	nv := len(st.names)
	var backing []obs.Value
	if nv > 0 {
		backing = make([]obs.Value, rows*nv)
	}
	dst = slices.Grow(dst, rows)
	for r := range rows {
		vals := backing[r*nv : (r+1)*nv : (r+1)*nv]
		st.fill(vals[:nf], &st.req, r)
		st.fill(vals[nf:], &st.resp, r)
		for k := range vals {
			vals[k].Name = st.names[k]
		}
		rec := obs.Record{
			Time:      in.Time,
			Model:     model,
			Version:   version,
			RequestID: id,
			Latency:   in.Latency,
			Status:    in.Status,
			Synthetic: isSynthetic,
		}
		if nf > 0 {
			rec.Features = vals[:nf:nf]
		}
		if nv > nf {
			rec.Prediction = vals[nf:]
		}
		dst = append(dst, rec)
	}
	return dst
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// appendNames appends the names of the columns of s's tensors. A one-column
// tensor is named by its name; a wider one by name[j]. Columns of unnamed
// tensors are f<i> (i the position in the record) for features, and
// prediction or prediction[j] for predictions. override renames, by
// position, the columns the payload does not name itself.
func (st *state) appendNames(names []string, s *side, override []string, unnamed string) []string {
	base := len(names)
	for _, t := range s.tensors {
		k := len(names) - base
		switch {
		case t.name != "" && t.width == 1:
			names = append(names, t.name)
			continue
		case t.name != "":
			names = append(names, st.dec.strs.indexed(t.name, t.width)...)
		case unnamed == "":
			names = append(names, st.dec.strs.indexed("", k+t.width)[k:]...)
		case t.width == 1:
			names = append(names, unnamed)
		default:
			names = append(names, st.dec.strs.indexed(unnamed, t.width)...)
		}
		for j := k; j < k+t.width && j < len(override); j++ {
			names[base+j] = override[j]
		}
	}
	return names
}

// fill sets vals to row r of s's tensors (names aside).
func (st *state) fill(vals []obs.Value, s *side, r int) {
	k := 0
	for _, t := range s.tensors {
		row := s.leaves[t.off+r*t.stride:]
		for j := range t.width {
			vals[k] = st.value(&s.d, row[j])
			k++
		}
	}
}

// value converts a leaf: numbers are Number (NaN and ±Inf are Missing,
// as they cannot enter a statistic), strings Category, booleans Number 0
// or 1, null and objects Missing.
func (st *state) value(d *doc, n node) obs.Value {
	switch n.kind {
	case jNum:
		f := d.float(n)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return obs.Value{}
		}
		return obs.Value{Kind: obs.Number, Num: f}
	case jStr:
		return obs.Value{Kind: obs.Category, Str: st.dec.strs.intern(d.bytes(n))}
	case jTrue:
		return obs.Value{Kind: obs.Number, Num: 1}
	case jFalse:
		return obs.Value{Kind: obs.Number, Num: 0}
	}
	return obs.Value{}
}

// str returns the string n holds, interned, or "" if n is not a string.
func (st *state) str(d *doc, n node) string {
	if n.kind != jStr {
		return ""
	}
	return st.dec.strs.intern(d.bytes(n))
}

// setID keeps the first request id a body gives (a string or a number).
// Ids are not interned: they are all different.
func (st *state) setID(d *doc, n node) {
	if st.id == "" && (n.kind == jStr || n.kind == jNum) {
		st.id = strings.ToValidUTF8(string(d.bytes(n)), "\uFFFD")
	}
}
