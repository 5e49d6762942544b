package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// wrkScript is a wrk Lua script that POSTs the bodies in %s (a Lua table
// constructor of long strings) in turn.
const wrkScript = `wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = %s
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
`

// wrkResult is what one wrk run measured.
type wrkResult struct {
	target   string
	rps      float64
	requests int // completed
	bad      int // non-2xx responses plus socket errors
}

// writeWrkScript writes the wrk script for bodies into dir and returns its
// path. wrk sends all of them, like the Go generator, so that the sidecar's
// drift windows filled by wrk traffic see the reference's distribution.
func writeWrkScript(dir string, bodies [][]byte) (string, error) {
	var tbl bytes.Buffer
	tbl.WriteString("{\n")
	for _, b := range bodies {
		// JSON holds no "]==]", so a level-2 long string needs no escaping.
		fmt.Fprintf(&tbl, "[==[%s]==],\n", b)
	}
	tbl.WriteString("}")
	path := filepath.Join(dir, "bench.lua")
	if err := os.WriteFile(path, fmt.Appendf(nil, wrkScript, tbl.String()), 0o644); err != nil {
		return "", fmt.Errorf("write wrk script: %w", err)
	}
	return path, nil
}

var (
	wrkRPS    = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkTotal  = regexp.MustCompile(`([0-9]+) requests in`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses:\s+([0-9]+)`)
	wrkSocket = regexp.MustCompile(`Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)`)
)

// runWrk runs wrk with one thread and conns connections against t for d,
// as a cross-check of closedLoop with a client lighter than net/http.
func runWrk(ctx context.Context, bin, script string, t *target, conns int, d time.Duration) (*wrkResult, error) {
	secs := max(1, int(d.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, bin, "-t1", fmt.Sprintf("-c%d", conns), fmt.Sprintf("-d%ds", secs), "-s", script, t.url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	m := wrkRPS.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("wrk: no Requests/sec in its output:\n%s", out)
	}
	r := &wrkResult{target: t.name}
	r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	if m := wrkTotal.FindSubmatch(out); m != nil {
		r.requests, _ = strconv.Atoi(string(m[1]))
	}
	if m := wrkNon2xx.FindSubmatch(out); m != nil {
		n, _ := strconv.Atoi(string(m[1]))
		r.bad += n
	}
	if m := wrkSocket.FindSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(string(s))
			r.bad += n
		}
	}
	return r, nil
}
