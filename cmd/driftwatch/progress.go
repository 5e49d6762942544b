package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress shows one self-overwriting status line on a terminal; it stays
// silent when the writer is not a terminal (CI logs, pipes) or when disabled.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	on    bool
	last  time.Time
	shown bool
}

func newProgress(w io.Writer, enabled bool) *progress {
	return &progress{w: w, on: enabled && isTerminal(w)}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// show prints msg, at most ten times a second unless force is set.
func (p *progress) show(msg string, force bool) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if now := time.Now(); force || now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.shown = true
		fmt.Fprintf(p.w, "\r\033[K%s", msg)
	}
}

// done clears the status line.
func (p *progress) done() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// reading returns a dataset progress callback for the named file.
func (p *progress) reading(path string) func(done, total int64) {
	if !p.on {
		return nil
	}
	name := filepath.Base(path)
	return func(done, total int64) {
		if total > 0 {
			p.show(fmt.Sprintf("reading %s: %3.0f%% (%s of %s)", name, 100*float64(done)/float64(total), bytesHuman(done), bytesHuman(total)), false)
		} else {
			p.show(fmt.Sprintf("reading %s: %s", name, bytesHuman(done)), false)
		}
	}
}

// compare is a drift.Options.Progress callback.
func (p *progress) compare(stage string, done, total int) {
	switch stage {
	case "features":
		p.show(fmt.Sprintf("testing features: %d of %d", done, total), done == total)
	case "mmd":
		if done < total {
			p.show("running the multivariate MMD permutation test", true)
		}
	}
}

func bytesHuman(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
