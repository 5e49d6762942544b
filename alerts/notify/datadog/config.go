package datadog

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/alerts/notify"
)

// Defaults of a Config.
const (
	DefaultSite    = "datadoghq.com"
	DefaultTimeout = 10 * time.Second
)

// Config configures a Datadog receiver.
type Config struct {
	// APIKey is the Datadog API key: "env:NAME", "file:/path" or the key
	// itself (see notify.LoadSecret). It is sent in the DD-API-KEY header.
	APIKey notify.Secret `yaml:"api_key"`
	// Site is the Datadog site, such as "datadoghq.com" (the default),
	// "datadoghq.eu" or "us5.datadoghq.com"; events go to
	// https://api.<site>/api/v1/events. A leading "app." is dropped, so the
	// host of the web UI works too.
	Site string `yaml:"site"`
	// URL, when set, replaces the events endpoint derived from Site (for a
	// proxy, or a test). It is the full URL that events are POSTed to.
	URL string `yaml:"url"`
	// Tags are added to every event, service check and metric, after
	// sanitising (see Tag).
	Tags []string `yaml:"tags"`
	// StatsdAddr is the host:port of a DogStatsD agent (UDP). When set,
	// each notification also sends a service check and a count metric;
	// when empty, no metrics are sent.
	StatsdAddr string `yaml:"statsd_addr"`
	// Timeout bounds one delivery; DefaultTimeout when zero.
	Timeout time.Duration `yaml:"timeout"`
}

var siteRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// Validate checks c's own fields. It does not resolve env: or file:
// references (New does). Errors name the field and never contain the API
// key or the URL.
func (c Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.APIKey.Reveal()) == "" {
		errs = append(errs, errors.New("api_key is required"))
	}
	switch {
	case c.Site != "" && c.URL != "":
		errs = append(errs, errors.New("site and url are mutually exclusive"))
	case c.Site != "" && !siteRE.MatchString(c.Site):
		errs = append(errs, fmt.Errorf("site %q is not a domain name such as datadoghq.eu", c.Site))
	case c.URL != "":
		if err := notify.CheckURL(c.URL); err != nil {
			errs = append(errs, fmt.Errorf("url %w", err))
		}
	}
	for i, t := range c.Tags {
		if Tag(t) == "" {
			errs = append(errs, fmt.Errorf("tags[%d] %q has no letter to start a Datadog tag", i, t))
		}
	}
	if c.StatsdAddr != "" {
		if err := checkHostPort(c.StatsdAddr); err != nil {
			errs = append(errs, fmt.Errorf("statsd_addr %q %w", c.StatsdAddr, err))
		}
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", c.Timeout))
	}
	return errors.Join(errs...)
}

// endpoint returns the URL that events are POSTed to.
func (c Config) endpoint() string {
	if c.URL != "" {
		return c.URL
	}
	site := c.Site
	if site == "" {
		site = DefaultSite
	}
	return "https://api." + strings.TrimPrefix(site, "app.") + "/api/v1/events"
}

// checkHostPort checks that a is host:port with a port in 1..65535.
func checkHostPort(a string) error {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return errors.New("is not host:port")
	}
	if host == "" {
		return errors.New("has no host")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return errors.New("has no port in 1..65535")
	}
	return nil
}
