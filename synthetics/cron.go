package synthetics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// SentryCron reports every run of a check to a Sentry Cron monitor, as a
// check-in "ok" or "error" with the run's duration: Sentry then raises an
// issue when runs fail, and when they stop arriving (the prober itself is
// down), which no alert of driftwatch's own can say.
//
//	sentry_cron:
//	  dsn: env:SENTRY_DSN       # env:, file: or the DSN itself
//	  monitor: model-e2e        # the monitor's slug
//	  environment: production   # optional
//	  upsert: true              # create or update the monitor, scheduled every interval
type SentryCron struct {
	DSN         obs.Secret `yaml:"dsn"`
	Monitor     string     `yaml:"monitor"`
	Environment string     `yaml:"environment"`
	Upsert      bool       `yaml:"upsert"`
}

var validSlug = regexp.MustCompile(`^[a-z0-9_-]{1,50}$`)

func (s *SentryCron) validate() []error {
	var errs []error
	ref := s.DSN.Reveal()
	switch {
	case ref == "":
		errs = append(errs, errors.New("sentry_cron.dsn is required"))
	case !strings.HasPrefix(ref, "env:") && !strings.HasPrefix(ref, "file:"):
		if _, err := cronURL(ref, "x"); err != nil {
			errs = append(errs, fmt.Errorf("sentry_cron.dsn %w", err))
		}
	}
	if !validSlug.MatchString(s.Monitor) {
		errs = append(errs, fmt.Errorf("sentry_cron.monitor %q: want a slug of lowercase letters, digits, '_' and '-' (at most 50)", s.Monitor))
	}
	return errs
}

// cronURL is the check-in endpoint of the monitor slug for dsn:
// {scheme}://{host}/api/{project}/cron/{slug}/{public key}/. Its errors
// never contain the DSN.
func cronURL(dsn, slug string) (*url.URL, error) {
	d, err := sentrygo.NewDsn(dsn)
	if err != nil {
		return nil, errors.New("is not a Sentry DSN (want https://KEY@HOST/PROJECT)")
	}
	u := d.GetAPIURL()
	u.Path = strings.TrimSuffix(u.Path, "envelope/") + "cron/" + slug + "/" + d.GetPublicKey() + "/"
	return u, nil
}

// cron sends the check-ins of one check.
type cron struct {
	url      *url.URL
	env      string
	schedule url.Values // monitor_config, when upserting
	client   *http.Client
}

func newCron(c *Check) (*cron, error) {
	s := c.SentryCron
	dsn, err := obs.LoadSecret(s.DSN.Reveal())
	if err != nil {
		return nil, fmt.Errorf("sentry_cron.dsn: %w", err)
	}
	u, err := cronURL(dsn.Reveal(), s.Monitor)
	if err != nil {
		return nil, fmt.Errorf("sentry_cron.dsn %w", err)
	}
	cr := &cron{url: u, env: s.Environment, client: &http.Client{Timeout: 10 * time.Second}}
	if s.Upsert {
		// Sentry schedules in whole minutes; a check that runs more often
		// checks in early, which Sentry accepts.
		minutes := max(1, int(c.interval()/time.Minute))
		cr.schedule = url.Values{
			"monitor_config[schedule][type]":  {"interval"},
			"monitor_config[schedule][value]": {strconv.Itoa(minutes)},
			"monitor_config[schedule][unit]":  {"minute"},
			"monitor_config[checkin_margin]":  {strconv.Itoa(minutes)},
		}
	}
	return cr, nil
}

// checkIn reports res. Its errors never contain the URL (it holds the
// DSN's key).
func (c *cron) checkIn(ctx context.Context, res Result) error {
	q := url.Values{"status": {"ok"}, "duration": {strconv.FormatFloat(res.Phases.Total.Seconds(), 'f', 3, 64)}}
	if !res.Success {
		q.Set("status", "error")
	}
	if c.env != "" {
		q.Set("environment", c.env)
	}
	for k, v := range c.schedule {
		q[k] = v
	}
	u := *c.url
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return errors.New("sentry cron check-in: bad request")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return fmt.Errorf("sentry cron check-in: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var b [200]byte
		n, _ := resp.Body.Read(b[:])
		return fmt.Errorf("sentry cron check-in: status %d: %s", resp.StatusCode, snippet(b[:n]))
	}
	return nil
}
