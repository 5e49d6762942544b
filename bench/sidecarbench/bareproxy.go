package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// serveBareProxy runs the baseline the sidecar is compared with: a plain
// httputil.ReverseProxy from listen to upstream (host:port), with the same
// keep-alive pool size as the sidecar's default, no tap and no metrics. It
// returns on SIGTERM or SIGINT.
func serveBareProxy(upstream, listen string) error {
	u, err := url.Parse("http://" + upstream)
	if err != nil {
		return err
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
		},
		Transport: &http.Transport{
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	srv := &http.Server{Addr: listen, Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("bare proxy: %w", err)
	case <-ctx.Done():
		return srv.Close()
	}
}
