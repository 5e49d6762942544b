package main

import (
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// inferResponse is the upstream's answer to every inference request: a valid
// OIP v2 response with one INT64 output.
const inferResponse = `{"model_name":"bench","model_version":"1","outputs":[{"name":"label","datatype":"INT64","shape":[1],"data":[1]}]}`

// upstream is the fast model server: it reads the request body and answers
// inferResponse, nothing else.
type upstream struct {
	addr   string // host:port
	served atomic.Int64
	srv    *http.Server
}

// startUpstream starts an upstream on a free loopback port.
func startUpstream() (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &upstream{addr: ln.Addr().String()}
	body := []byte(inferResponse)
	ctype := []string{"application/json"}
	clen := []string{strconv.Itoa(len(body))}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/models/{name}/infer", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		h := w.Header()
		h["Content-Type"] = ctype
		h["Content-Length"] = clen
		w.Write(body)
		u.served.Add(1)
	})
	u.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	// Serve fails only when closed, or when the listener does: then every
	// request fails and the phases report it.
	go u.srv.Serve(ln)
	return u, nil
}

// close stops the upstream at once.
func (u *upstream) close() { u.srv.Close() }

// makeBodies returns n OIP v2 inference requests, each one FP64 tensor of
// shape [1, features]. Feature j is drawn from N(j/4, 1) with a PCG seeded
// by seed, so every run sends the same bodies and the drift monitor sees a
// stable distribution (no drift).
func makeBodies(n, features int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	bodies := make([][]byte, n)
	for i := range bodies {
		b := make([]byte, 0, 64+24*features)
		b = append(b, `{"inputs":[{"name":"input-0","datatype":"FP64","shape":[1,`...)
		b = strconv.AppendInt(b, int64(features), 10)
		b = append(b, `],"data":[`...)
		for j := range features {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(j)/4+rng.NormFloat64(), 'g', -1, 64)
		}
		b = append(b, `]}]}`...)
		bodies[i] = b
	}
	return bodies
}
