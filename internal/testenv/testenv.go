// Package testenv starts real components for integration tests: processes
// from Debian packages that a test runs, talks to over loopback, and stops
// itself. It is imported only by _test.go files.
//
// A component whose packages are missing makes the test skip, with a message
// saying what to install, unless the environment variable
// DRIFTWATCH_REQUIRE_INTEGRATION is set (CI sets it in .ci/run): then the
// test fails instead, so that CI never passes by skipping.
//
// Every process started here runs in its own process group on 127.0.0.1,
// and t.Cleanup kills the group and waits for it, whether the test passed or
// failed. On Linux the process also gets SIGTERM when the test binary dies
// without running its cleanups (a -timeout panic). Its output is kept and logged when the
// test fails.
package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing component
// into a test failure instead of a skip.
const RequireEnv = "DRIFTWATCH_REQUIRE_INTEGRATION"

// PythonEnv is the environment variable naming the Python interpreter that
// has Flask, scikit-learn and gunicorn; DefaultPython when unset.
const PythonEnv = "DRIFTWATCH_PYTHON"

// DefaultPython is Debian's interpreter. The python3 first on PATH may be
// another install without the Debian packages.
const DefaultPython = "/usr/bin/python3"

// ModelServerName and ModelServerVersion are the model the server of
// ModelServer serves: POST /v2/models/breast-cancer/infer,
// POST /v1/models/breast-cancer:predict.
const (
	ModelServerName    = "breast-cancer"
	ModelServerVersion = "1"
)

const (
	startTimeout = 60 * time.Second
	pollInterval = 50 * time.Millisecond
	stopTimeout  = 10 * time.Second
	bindAttempts = 3
)

// Missing skips t, or fails it when RequireEnv is set, saying what to
// install.
func Missing(t testing.TB, what, install string) {
	t.Helper()
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("%s is missing and %s is set: install %s (apt-get install -y %s)", what, RequireEnv, install, install)
	}
	t.Skipf("install %s to run this test (%s is missing)", install, what)
}

var pyCheck struct {
	once sync.Once
	err  error
}

func python() string {
	if p := os.Getenv(PythonEnv); p != "" {
		return p
	}
	return DefaultPython
}

// checkPython reports whether the interpreter imports flask, sklearn and
// gunicorn; it runs once per test binary.
func checkPython() error {
	pyCheck.once.Do(func() {
		py := python()
		if _, err := os.Stat(py); err != nil {
			pyCheck.err = fmt.Errorf("no %s: %w", py, err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, py, "-c", "import flask, sklearn, numpy, gunicorn").CombinedOutput()
		if err != nil {
			pyCheck.err = fmt.Errorf("%s cannot import flask, sklearn, numpy and gunicorn: %w: %s", py, err, lastLine(out))
		}
	})
	return pyCheck.err
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// ModelServer starts testdata/modelserver/app.py, a Flask app serving a
// scikit-learn classifier trained at start on the breast-cancer data, under
// gunicorn with two workers on 127.0.0.1, waits until GET /v2/health/ready
// answers 200, and returns its base URL ("http://127.0.0.1:PORT"). The
// model is ModelServerName, version ModelServerVersion; app.py's doc string
// lists its routes.
//
// It skips t when Debian's python3-flask, python3-sklearn or gunicorn is
// missing (fails it when RequireEnv is set). The server is stopped by
// t.Cleanup.
//
// env adds environment variables ("NAME=value") to the server's, such as
// MODEL_SWAP_CLASSES=1 for a broken model.
func ModelServer(t testing.TB, env ...string) string {
	t.Helper()
	if !processSupported {
		t.Skip("testenv.ModelServer runs on Linux only")
	}
	if err := checkPython(); err != nil {
		Missing(t, err.Error(), "python3-flask python3-sklearn python3-numpy gunicorn")
	}
	dir, err := moduleDir()
	if err != nil {
		t.Fatal(err)
	}
	app := filepath.Join(dir, "testdata", "modelserver")
	if _, err := os.Stat(filepath.Join(app, "app.py")); err != nil {
		t.Fatalf("model server app: %v", err)
	}
	var lastErr error
	for range bindAttempts {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		// python -m gunicorn is Debian's /usr/bin/gunicorn with the
		// interpreter pinned. --preload trains the model once, in the
		// master, before the workers fork.
		p, err := start(t, "gunicorn", env, python(), "-m", "gunicorn",
			"--chdir", app,
			"--bind", addr,
			"--workers", "2",
			"--preload",
			"--timeout", "20", // an orphaned worker notices within 10 s
			"--graceful-timeout", "5",
			"--access-logfile", "-",
			"--error-logfile", "-",
			"app:app")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + addr
		err = p.waitHTTP(base+"/v2/health/ready", startTimeout)
		if err == nil {
			return base
		}
		exited := p.exited() // before stop, which waits for the exit
		p.stop(t)
		out := p.out.String()
		if exited && (strings.Contains(out, "Address already in use") || strings.Contains(out, "Connection in use")) {
			lastErr = err
			t.Logf("port %d was taken meanwhile; trying another", port)
			continue
		}
		t.Fatalf("model server did not become ready: %v (its output follows)", err)
	}
	t.Fatalf("model server could not bind a port after %d attempts: %v", bindAttempts, lastErr)
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago: it
// listens on port 0 and closes the listener. Another process may take the
// port before the caller binds it; callers retry on a bind failure.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// moduleDir returns the directory of the go.mod above the working
// directory, which go test sets to the package's directory.
func moduleDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("find module root: no go.mod above %s", dir)
		}
		d = parent
	}
}

// process is a started command in its own process group.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{} // closed when cmd.Wait returns
	err  error         // cmd.Wait's error, set before done is closed
	once sync.Once
}

// start runs argv in its own process group, with stdout and stderr kept in a
// buffer, and registers a cleanup that stops it and logs its output when t
// failed.
func start(t testing.TB, name string, env []string, argv ...string) (*process, error) {
	t.Helper()
	p := &process{name: name, out: newTailBuffer(256 << 10), done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = sysProcAttr()
	p.cmd.Env = append(os.Environ(),
		"PYTHONDONTWRITEBYTECODE=1", // no __pycache__ in testdata
		"PYTHONUNBUFFERED=1",
		"OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1", "MKL_NUM_THREADS=1",
	)
	p.cmd.Env = append(p.cmd.Env, env...)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("--- %s output (last %d KiB) ---\n%s", name, p.out.max>>10, p.out.String())
		}
	})
	return p, nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitHTTP polls url until it answers 200, the process exits, or timeout
// passes.
func (p *process) waitHTTP(url string, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	var last error
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: status %s", url, resp.Status)
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", timeout, last)
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %v", p.name, p.err)
		case <-time.After(pollInterval):
		}
	}
}

// stop sends SIGTERM to the process, SIGKILL to its group if it has not
// exited within stopTimeout, waits for it, and kills whatever is left of the
// group. It is safe to call more than once.
func (p *process) stop(t testing.TB) {
	p.once.Do(func() {
		pid := p.cmd.Process.Pid
		if !p.exited() {
			terminate(pid)
			select {
			case <-p.done:
			case <-time.After(stopTimeout):
				t.Logf("%s did not stop within %v of SIGTERM; killing it", p.name, stopTimeout)
				killGroup(pid)
				<-p.done
			}
		}
		killGroup(pid) // stray workers, if any
		var exitErr *exec.ExitError
		if p.err != nil && !errors.As(p.err, &exitErr) {
			t.Logf("wait for %s: %v", p.name, p.err)
		}
	})
}

// tailBuffer keeps the last max bytes written to it; it is safe for
// concurrent use.
type tailBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	max     int
	dropped int64
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if n := b.buf.Len() - b.max; n > b.max {
		b.buf.Next(n)
		b.dropped += int64(n)
		rest := bytes.Clone(b.buf.Bytes())
		b.buf.Reset()
		b.buf.Write(rest)
	}
	return len(p), nil
}

// String returns what the buffer kept, with a note of what it dropped.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped > 0 {
		return fmt.Sprintf("[%d earlier bytes dropped]\n%s", b.dropped, b.buf.String())
	}
	return b.buf.String()
}
