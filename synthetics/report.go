package synthetics

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable writes one line per result: check, PASS or FAIL, status,
// attempts, latency, and the reason of a failure.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tRESULT\tSTATUS\tATTEMPTS\tLATENCY\tREASON")
	for _, r := range results {
		verdict, status := "PASS", "-"
		if !r.Success {
			verdict = "FAIL"
		}
		if r.Status != 0 {
			status = fmt.Sprint(r.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%v\t%s\n", r.Check, verdict, status, r.Attempts,
			r.Phases.Total.Round(time.Millisecond), r.Reason)
	}
	return tw.Flush()
}

// JUnit XML, as CI systems (Jenkins, GitLab, GitHub actions) read it.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Time      float64     `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the results as a JUnit XML report: one test suite
// "driftwatch synthetics", one test case per check, a failure element with
// the reason and every failed assertion for a failed check, and the phase
// timings as its output.
func WriteJUnit(w io.Writer, results []Result, started time.Time, took time.Duration) error {
	s := junitSuite{Name: "driftwatch synthetics", Tests: len(results), Time: took.Seconds(),
		Timestamp: started.UTC().Format("2006-01-02T15:04:05")}
	for _, r := range results {
		c := junitCase{Name: r.Check, Classname: "synthetics", Time: r.Phases.Total.Seconds()}
		var out strings.Builder
		fmt.Fprintf(&out, "status %d, %d attempts", r.Status, r.Attempts)
		for i, d := range r.Phases.Values() {
			fmt.Fprintf(&out, ", %s %v", PhaseNames[i], d.Round(time.Microsecond))
		}
		if r.Golden {
			fmt.Fprintf(&out, ", golden agreement %.4g", r.Agreement)
		}
		c.SystemOut = out.String()
		if !r.Success {
			s.Failures++
			c.Failure = &junitFailure{Message: r.Reason, Type: "AssertionFailed", Text: strings.Join(r.Failures, "\n")}
		}
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{s}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
