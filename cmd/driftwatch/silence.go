package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/driftwatch/driftwatch/internal/api"
)

// defaultAdmin is where `driftwatch silence` finds the sidecar's API.
const defaultAdmin = "http://127.0.0.1:9464"

func runSilence(args []string, stdout, stderr io.Writer) int {
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage:
  driftwatch silence add --matcher M [--matcher M ...] (--duration D | --ends T) --author NAME [--comment TEXT] [--admin URL]
  driftwatch silence list [--admin URL]
  driftwatch silence expire ID [--admin URL]

Manages the silences of a running sidecar through its admin API
(/api/v1/silences). A silence mutes the notifications of the alerts its
matchers all match, until it ends; the alerts keep firing in
/api/v1/alerts, marked silenced_by. Matchers are label=value, label!=value,
label=~regexp or label!~regexp, e.g. alertname=model_drift 'model=~"iris|wine"'.
Silences are kept in the sidecar's state_file across restarts.

Run 'driftwatch silence add --help' for the flags of add.
`)
	}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "add":
		return silenceAdd(args[1:], stdout, stderr)
	case "list":
		return silenceList(args[1:], stdout, stderr)
	case "expire":
		return silenceExpire(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "driftwatch silence: unknown subcommand %q: want add, list or expire\n", args[0])
	return exitUsage
}

type stringsFlag []string

func (m *stringsFlag) String() string     { return strings.Join(*m, ", ") }
func (m *stringsFlag) Set(s string) error { *m = append(*m, s); return nil }

func silenceAdd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("silence add", flag.ContinueOnError)
	var (
		req     api.SilenceRequest
		ms      stringsFlag
		ends    string
		admin   string
		timeout time.Duration
	)
	fs.Var(&ms, "matcher", "a `matcher` the alerts must match, e.g. alertname=model_drift (repeatable; all must match)")
	fs.StringVar(&req.Duration, "duration", "", "how long the silence lasts, e.g. 2h")
	fs.StringVar(&ends, "ends", "", "when the silence ends, RFC 3339 (instead of --duration)")
	fs.StringVar(&req.CreatedBy, "author", os.Getenv("USER"), "who added it: whom to ask about it")
	fs.StringVar(&req.Comment, "comment", "", "why")
	fs.StringVar(&admin, "admin", defaultAdmin, "the sidecar's admin `URL`")
	fs.DurationVar(&timeout, "timeout", 10*time.Second, "how long to wait for the sidecar")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: driftwatch silence add --matcher M [--matcher M ...] (--duration D | --ends T) --author NAME [--comment TEXT]

Adds a silence to the running sidecar at --admin and prints its ID. It
starts now; all matchers must match an alert for it to be muted.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	req.Matchers = ms
	if ends != "" {
		t, err := time.Parse(time.RFC3339, ends)
		if err != nil {
			fmt.Fprintf(stderr, "driftwatch silence add: --ends %q: want RFC 3339, e.g. 2026-11-22T18:00:00Z\n", ends)
			return exitUsage
		}
		req.EndsAt = &t
	}
	body, _ := json.Marshal(req)
	var s api.Silence
	if code := call(http.MethodPost, admin, "/api/v1/silences", body, &s, timeout, "silence add", stderr); code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "%s\n", s.ID)
	return exitOK
}

func silenceList(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("silence list", flag.ContinueOnError)
	admin := fs.String("admin", defaultAdmin, "the sidecar's admin `URL`")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the sidecar")
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	var list api.SilenceList
	if code := call(http.MethodGet, *admin, "/api/v1/silences", nil, &list, *timeout, "silence list", stderr); code != exitOK {
		return code
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tENDS\tCREATED BY\tMATCHERS\tCOMMENT")
	for _, s := range list.Silences {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.State, s.EndsAt.Format(time.RFC3339), s.CreatedBy,
			strings.Join(s.Matchers, " "), s.Comment)
	}
	tw.Flush()
	return exitOK
}

func silenceExpire(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("silence expire", flag.ContinueOnError)
	admin := fs.String("admin", defaultAdmin, "the sidecar's admin `URL`")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the sidecar")
	// The ID comes first: driftwatch silence expire ID [--admin URL].
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
			return code
		}
		fmt.Fprintln(stderr, "driftwatch silence expire: give the silence ID (driftwatch silence list shows them)")
		return exitUsage
	}
	id := args[0]
	if code, ok := parseFlags(fs, args[1:], stdout, stderr); !ok {
		return code
	}
	var s api.Silence
	if code := call(http.MethodDelete, *admin, "/api/v1/silences/"+url.PathEscape(id), nil, &s, *timeout, "silence expire", stderr); code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "expired %s\n", s.ID)
	return exitOK
}

// call sends a request to the admin API and decodes its JSON answer into
// out; an error answer is printed with the API's message.
func call(method, admin, path string, body []byte, out any, timeout time.Duration, cmd string, stderr io.Writer) int {
	base, err := url.Parse(admin)
	if err != nil || base.Scheme == "" || base.Host == "" {
		fmt.Fprintf(stderr, "driftwatch %s: --admin %q: want a URL such as %s\n", cmd, admin, defaultAdmin)
		return exitUsage
	}
	req, err := http.NewRequest(method, strings.TrimSuffix(admin, "/")+path, bytes.NewReader(body))
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch %s: %v\n", cmd, err)
		return exitUsage
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: timeout}).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch %s: %v (is the sidecar running, with its admin API at %s? set --admin)\n", cmd, err, admin)
		return exitFailed
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch %s: read the answer: %v\n", cmd, err)
		return exitFailed
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		fmt.Fprintf(stderr, "driftwatch %s: %s: %s\n", cmd, resp.Status, e.Error)
		return exitFailed
	}
	if err := json.Unmarshal(b, out); err != nil {
		fmt.Fprintf(stderr, "driftwatch %s: the answer is not what this version expects: %v\n", cmd, err)
		return exitFailed
	}
	return exitOK
}
