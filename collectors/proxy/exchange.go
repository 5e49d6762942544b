package proxy

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Exchange is one request/response pair as the tap sees it. The proxy fills
// it after the response has been sent to the client (or the client went
// away) and never touches it again once a Tap has accepted it.
//
// Exchanges and their body buffers are pooled: a consumer that is done with
// one calls Release so the next request can reuse its memory. Release is an
// optimisation, not an obligation; an Exchange that is never released is
// collected by the garbage collector. Headers are shared with the proxied
// request and response and must be treated as read-only.
type Exchange struct {
	Start      time.Time     // when the proxy received the request
	RequestID  string        // the X-Request-Id sent upstream and to the client
	Method     string        // request method
	Path       string        // URL path
	RemoteAddr string        // the client's address as the proxy saw it, without the port
	ReqHeader  http.Header   // request header as sent upstream (hop-by-hop headers removed)
	Req        []byte        // captured request body as sent (possibly gzip); nil when empty or not captured
	Status     int           // status sent to the client: the upstream's, else 502, 504, or 499 (client gone first)
	RespHeader http.Header   // response header as received from the upstream (hop-by-hop removed, X-Request-Id set); nil on error
	Resp       []byte        // captured response body as sent; nil when empty, not captured, or incomplete
	Latency    time.Duration // from sending the request upstream to the end of the response body (or to the error)
	Synthetic  bool          // the request had X-Driftwatch-Synthetic: 1
	Truncated  bool          // a body exceeded the capture limit and was not captured
	// Error is "" for a complete exchange, else what went wrong, one of
	// "refused", "timeout", "other" (upstream errors) or "client_gone".
	// Resp is nil when the response body was not read to its end.
	Error string

	refs    atomic.Int32
	reqBuf  []byte // backing store of Req, reused through the pool
	respBuf []byte // backing store of Resp
}

// maxPooledBuf is the largest body buffer kept for reuse; larger ones are
// left to the garbage collector so that one big body does not pin memory.
const maxPooledBuf = 256 << 10

var exchangePool = sync.Pool{New: func() any { return new(Exchange) }}

// getExchange returns a reset Exchange holding one reference.
func getExchange() *Exchange {
	e := exchangePool.Get().(*Exchange)
	e.refs.Store(1)
	return e
}

// Release gives back one reference to e. When the last reference is
// released, e and its body buffers return to a pool: neither e nor the
// slices in it may be used afterwards. A Tap that accepts an Exchange owns
// one reference; see Tee for several consumers.
func (e *Exchange) Release() {
	switch n := e.refs.Add(-1); {
	case n > 0:
		return
	case n < 0:
		panic("proxy: Exchange released more often than retained")
	}
	e.reset()
	exchangePool.Put(e)
}

// retain adds a reference to e.
func (e *Exchange) retain() { e.refs.Add(1) }

// reset clears e for reuse, keeping small body buffers.
func (e *Exchange) reset() {
	reqBuf, respBuf := e.reqBuf[:0], e.respBuf[:0]
	if cap(reqBuf) > maxPooledBuf {
		reqBuf = nil
	}
	if cap(respBuf) > maxPooledBuf {
		respBuf = nil
	}
	*e = Exchange{reqBuf: reqBuf, respBuf: respBuf}
}

// capture is a body copy bounded by a limit: bytes go into buf until the
// total exceeds limit, then buf is emptied and further bytes are only
// counted.
type capture struct {
	buf   []byte
	limit int64 // < 0: capture nothing
	n     int64 // bytes seen
	over  bool  // n exceeded limit
}

// start prepares c for a body of the announced length (-1 when unknown).
func (c *capture) start(buf []byte, limit, length int64) {
	*c = capture{buf: buf[:0], limit: limit}
	if length > 0 && length > limit {
		c.over = true
		return
	}
	if length > 0 && int64(cap(c.buf)) < length {
		c.buf = make([]byte, 0, length)
	}
}

// write records p, which the caller has just passed on.
func (c *capture) write(p []byte) {
	c.n += int64(len(p))
	if c.over {
		return
	}
	if c.n > c.limit {
		c.over = true
		c.buf = c.buf[:0]
		return
	}
	c.buf = append(c.buf, p...)
}
