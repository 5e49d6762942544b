package sentry

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/driftwatch/driftwatch/alerts/notify"
)

// DefaultTimeout bounds one delivery when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Sentry's limits on the names an event carries
// (https://docs.sentry.io/product/sentry-basics/environments/ and
// https://docs.sentry.io/product/releases/naming-releases/).
const (
	maxEnvironment = 64
	maxRelease     = 200
	maxServerName  = MaxTagValue // it is shown, and searched, as a tag
)

// Config configures a Sentry receiver. In the configuration file:
//
//	receivers:
//	  - name: sentry
//	    sentry:
//	      dsn: env:SENTRY_DSN          # or file:/run/secrets/sentry-dsn, or the DSN itself
//	      environment: production      # optional
//	      release: search-rerank@42    # optional
//	      server_name: rerank-sidecar  # optional; the host name when empty
//	      timeout: 10s                 # optional; DefaultTimeout when zero
type Config struct {
	// DSN is the project's client key (DSN), such as
	// https://<public key>@o0.ingest.sentry.io/<project id>: "env:NAME",
	// "file:/path" or the DSN itself (see notify.LoadSecret). Its public
	// key, and its secret key if it has one, never appear in errors, logs
	// or when a Config is printed.
	DSN notify.Secret `yaml:"dsn"`
	// Environment is the event's environment, such as "production". Sentry
	// takes at most 64 characters, without white space or '/', and not
	// "None". Empty sends none.
	Environment string `yaml:"environment"`
	// Release is the event's release, such as "search-rerank@42". Sentry
	// takes at most 200 characters, without control characters, '/' or
	// '\', and not ".", ".." or " ". Empty sends none.
	Release string `yaml:"release"`
	// ServerName is the event's server_name; the host name (the pod's name
	// in Kubernetes) when empty. At most 200 characters, one line.
	ServerName string `yaml:"server_name"`
	// Timeout bounds one delivery; DefaultTimeout when zero.
	Timeout time.Duration `yaml:"timeout"`
}

// Validate checks c's own fields. It does not resolve env: or file:
// references (New does); a literal DSN must be a valid Sentry DSN. Errors
// start with the field's name and never contain any part of the DSN.
func (c Config) Validate() error {
	var errs []error
	if err := checkDSNRef(c.DSN); err != nil {
		errs = append(errs, fmt.Errorf("dsn %w", err))
	}
	if err := checkEnvironment(c.Environment); err != nil {
		errs = append(errs, fmt.Errorf("environment %q %w", c.Environment, err))
	}
	if err := checkRelease(c.Release); err != nil {
		errs = append(errs, fmt.Errorf("release %q %w", c.Release, err))
	}
	if err := checkServerName(c.ServerName); err != nil {
		errs = append(errs, fmt.Errorf("server_name %q %w", c.ServerName, err))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", c.Timeout))
	}
	return errors.Join(errs...)
}

// checkDSNRef checks a DSN or a reference to one ("env:NAME",
// "file:/path"); a literal must parse (see parseDSN).
func checkDSNRef(s notify.Secret) error {
	ref := s.Reveal()
	switch {
	case strings.TrimSpace(ref) == "":
		return errors.New("is required")
	case strings.HasPrefix(ref, "env:") || strings.HasPrefix(ref, "file:"):
		return nil
	}
	_, err := parseDSN(ref)
	return err
}

// parseDSN parses a Sentry DSN with sentry-go. sentry-go's errors can
// quote the whole DSN, key included; parseDSN's read after the field's
// name ("is not a valid URL", "has no public key", …) and never contain
// any part of it. Sentry's project IDs are numbers: any other last path
// segment is refused here rather than by a 404 at the first alert.
func parseDSN(raw string) (*sentrygo.Dsn, error) {
	d, err := sentrygo.NewDsn(strings.TrimSpace(raw))
	if err != nil {
		var pe *sentrygo.DsnParseError
		if !errors.As(err, &pe) {
			return nil, errors.New("is not a valid Sentry DSN")
		}
		switch msg := pe.Message; {
		case strings.HasPrefix(msg, "invalid url"):
			return nil, errors.New("is not a valid URL")
		case msg == "invalid scheme":
			return nil, errors.New("scheme is not http or https")
		case msg == "empty username":
			return nil, errors.New("has no public key (https://<key>@<host>/<project id>)")
		case msg == "empty host":
			return nil, errors.New("has no host")
		case msg == "invalid port":
			return nil, errors.New("has an invalid port")
		case msg == "empty project id":
			return nil, errors.New("has no project id")
		}
		return nil, errors.New("is not a valid Sentry DSN")
	}
	if _, err := strconv.ParseUint(d.GetProjectID(), 10, 64); err != nil {
		return nil, errors.New("has a project id that is not a number")
	}
	return d, nil
}

func checkEnvironment(s string) error {
	switch {
	case s == "":
		return nil
	case utf8.RuneCountInString(s) > maxEnvironment:
		return fmt.Errorf("is longer than %d characters", maxEnvironment)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' }):
		return errors.New("contains white space or '/'")
	case s == "None":
		return errors.New(`is reserved by Sentry`)
	}
	return nil
}

func checkRelease(s string) error {
	switch {
	case s == "":
		return nil
	case utf8.RuneCountInString(s) > maxRelease:
		return fmt.Errorf("is longer than %d characters", maxRelease)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '/' || r == '\\' }):
		return errors.New(`contains a control character, '/' or '\'`)
	case s == "." || s == ".." || s == " ":
		return errors.New("is reserved by Sentry")
	}
	return nil
}

func checkServerName(s string) error {
	switch {
	case utf8.RuneCountInString(s) > maxServerName:
		return fmt.Errorf("is longer than %d characters", maxServerName)
	case strings.ContainsFunc(s, unicode.IsControl):
		return errors.New("contains a control character")
	}
	return nil
}
