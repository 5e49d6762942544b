package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// sidecarConfig is the configuration the sidecar runs with: every request
// is decoded as OIP v2 and watched with tumbling windows of %[4]d records
// compared with the first %[4]d.
const sidecarConfig = `upstream: http://%[1]s
listen: %[2]s
admin_listen: %[3]s
models:
  - payload: {protocol: oip-v2}
    drift:
      window: {size: %[4]d, mode: tumbling}
      reference: {first: %[4]d}
`

// process is a proxy running as a child process: the sidecar, or the bare
// reverse proxy it is compared with.
type process struct {
	cmd    *exec.Cmd
	pid    int
	listen string // proxy host:port
	admin  string // admin host:port; "" for the bare proxy
	output *tail  // stdout and stderr

	exited  chan struct{} // closed when the process has exited
	waitErr error         // from cmd.Wait, valid once exited is closed
}

// startSidecar writes a configuration file into dir and starts
// `bin sidecar --config FILE`, proxying to upstream (host:port) on free
// loopback ports. It returns once GET /readyz on the admin port answers
// 200, or with an error that includes the sidecar's output if that does
// not happen within wait.
func startSidecar(ctx context.Context, bin, dir, upstream string, window int, wait time.Duration) (*process, error) {
	listen, admin, err := freePort2()
	if err != nil {
		return nil, err
	}
	config := filepath.Join(dir, "sidecar.yaml")
	cfg := fmt.Sprintf(sidecarConfig, upstream, listen, admin, window)
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		return nil, fmt.Errorf("write sidecar config: %w", err)
	}
	p := &process{listen: listen, admin: admin}
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	url := "http://" + admin + "/readyz"
	ready := func() string {
		resp, err := client.Get(url)
		if err != nil {
			return err.Error()
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return resp.Status
		}
		return ""
	}
	if err := p.start(ctx, exec.Command(bin, "sidecar", "--config", config), "GET "+url, ready, wait); err != nil {
		return nil, fmt.Errorf("sidecar: %w", err)
	}
	return p, nil
}

// startBareProxy starts this program's bare-proxy subcommand to upstream
// on a free loopback port, and returns once the port accepts connections.
func startBareProxy(ctx context.Context, upstream string, wait time.Duration) (*process, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bare proxy: %w", err)
	}
	listen, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &process{listen: listen}
	ready := func() string {
		c, err := net.DialTimeout("tcp", listen, time.Second)
		if err != nil {
			return err.Error()
		}
		c.Close()
		return ""
	}
	if err := p.start(ctx, exec.Command(self, "bare-proxy", upstream, listen), "connect to "+listen, ready, wait); err != nil {
		return nil, fmt.Errorf("bare proxy: %w", err)
	}
	return p, nil
}

// proxyProcs, when positive, is the GOMAXPROCS of both proxy processes
// (--proxy-procs).
var proxyProcs int

// start starts cmd and polls ready, which returns "" once the process is
// ready and else what is wrong, until it is ready or wait has passed.
func (p *process) start(ctx context.Context, cmd *exec.Cmd, what string, ready func() string, wait time.Duration) error {
	p.cmd, p.output, p.exited = cmd, &tail{max: 64 << 10}, make(chan struct{})
	cmd.Stdout, cmd.Stderr = p.output, p.output
	if proxyProcs > 0 {
		cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", proxyProcs))
	}
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	p.pid = cmd.Process.Pid
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	deadline := time.Now().Add(wait)
	for {
		select {
		case <-p.exited:
			return fmt.Errorf("exited before it was ready (%v); its output:\n%s", p.waitErr, p.output.indented())
		case <-ctx.Done():
			p.stop(time.Second)
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		last := ready()
		if last == "" {
			return nil
		}
		if time.Now().After(deadline) {
			p.stop(time.Second)
			return fmt.Errorf("not ready after %v: %s: %s; its output:\n%s", wait, what, last, p.output.indented())
		}
	}
}

// alive reports whether the process is still running.
func (p *process) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and, if the process has not exited within grace,
// SIGKILL. It returns a line saying how the process ended.
func (p *process) stop(grace time.Duration) string {
	if !p.alive() {
		return fmt.Sprintf("had already exited: %v", p.waitErr)
	}
	t0 := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Sprintf("SIGTERM failed: %v", err)
	}
	select {
	case <-p.exited:
		status := "exit status 0"
		if p.waitErr != nil {
			status = p.waitErr.Error()
		}
		return fmt.Sprintf("stopped %v after SIGTERM, %s", time.Since(t0).Round(time.Millisecond), status)
	case <-time.After(grace):
	}
	p.cmd.Process.Kill()
	<-p.exited
	return fmt.Sprintf("still running %v after SIGTERM; killed with SIGKILL", grace)
}

// freePort returns a loopback host:port that was free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// freePort2 returns two distinct free loopback ports.
func freePort2() (string, string, error) {
	a, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", fmt.Errorf("find a free port: %w", err)
	}
	defer a.Close()
	b, err := freePort()
	return a.Addr().String(), b, err
}

// tail is an io.Writer that keeps the last max bytes written to it.
type tail struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped bool
}

// Write implements io.Writer.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.dropped = true
	}
	return len(p), nil
}

// indented returns what was kept, each line indented, or a note that
// nothing was written.
func (t *tail) indented() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimRight(string(t.buf), "\n")
	if s == "" {
		return "    (no output)"
	}
	if t.dropped {
		s = "…\n" + s
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
