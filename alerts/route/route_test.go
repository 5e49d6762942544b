package route

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

func TestParseMatcher(t *testing.T) {
	for _, c := range []struct {
		in, want, err string
	}{
		{in: `model=iris`, want: `model="iris"`},
		{in: ` model = "iris v2" `, want: `model="iris v2"`},
		{in: `severity!=warning`, want: `severity!="warning"`},
		{in: `model=~"iris|wine"`, want: `model=~"iris|wine"`},
		{in: `team!~ml.*`, want: `team!~"ml.*"`},
		{in: `model=`, want: `model=""`},
		{in: `model`, err: `want name=value`},
		{in: `=iris`, err: `want name=value`},
		{in: `model~iris`, err: `want name=value`},
		{in: `1model=iris`, err: `label name "1model"`},
		{in: `model=iris wine`, err: `quote a value with spaces`},
		{in: `model="iris`, err: `bad quoted value`},
		{in: `model=~"(iris"`, err: `regular expression "(iris"`},
	} {
		m, err := ParseMatcher(c.in)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseMatcher(%q) error %v, want one containing %q", c.in, err, c.err)
			}
		case err != nil:
			t.Errorf("ParseMatcher(%q): %v", c.in, err)
		case m.String() != c.want:
			t.Errorf("ParseMatcher(%q) = %s, want %s", c.in, m, c.want)
		}
	}
}

func TestMatches(t *testing.T) {
	l := obs.Labels{"model": "iris", "severity": "critical"}
	for _, c := range []struct {
		m    string
		want bool
	}{
		{`model=iris`, true},
		{`model=wine`, false},
		{`model!=wine`, true},
		{`team!=ml`, true}, // absent counts as ""
		{`team=""`, true},
		{`model=~"ir.*"`, true},
		{`model=~"ir"`, false}, // anchored
		{`model!~"wine|beer"`, true},
		{`team=~".*"`, true},
		{`team=~".+"`, false},
	} {
		m, err := ParseMatcher(c.m)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Matches(l); got != c.want {
			t.Errorf("%s on %v = %v, want %v", c.m, l, got, c.want)
		}
	}
}

// tree is a routing tree like one a team would write: critical alerts page,
// drift goes to the ML channel and also to the audit webhook, the rest to
// the default.
var tree = Config{
	Receiver: "default",
	GroupBy:  []string{"alertname"},
	Routes: []Config{
		{Receiver: "pager", Matchers: []string{`severity="critical"`}, GroupWait: new(10 * time.Second)},
		{Receiver: "audit", Matchers: []string{`alertname=~"drift.*"`}, Continue: true, GroupBy: []string{GroupByAll}},
		{Receiver: "ml", Matchers: []string{`alertname=~"drift.*"`}, GroupBy: []string{"model", "alertname"},
			Routes: []Config{{Matchers: []string{`model="iris"`}, RepeatInterval: new(time.Hour)}}},
	},
}

func TestMatch(t *testing.T) {
	root, err := Compile(tree)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		labels obs.Labels
		want   []string // route ID → receiver
	}{
		{obs.Labels{"alertname": "latency", "severity": "critical"}, []string{"0.0 pager"}},
		{obs.Labels{"alertname": "drift", "model": "wine"}, []string{"0.1 audit", "0.2 ml"}},
		{obs.Labels{"alertname": "drift", "model": "iris"}, []string{"0.1 audit", "0.2.0 ml"}},
		{obs.Labels{"alertname": "latency"}, []string{"0 default"}},
		// the first matching child wins: a critical drift pages only.
		{obs.Labels{"alertname": "drift", "severity": "critical"}, []string{"0.0 pager"}},
	} {
		var got []string
		for _, r := range root.Match(c.labels) {
			got = append(got, r.ID+" "+r.Receiver)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Match(%v) = %q, want %q", c.labels, got, c.want)
		}
	}
}

func TestInheritanceAndGroupKeys(t *testing.T) {
	root, err := Compile(tree)
	if err != nil {
		t.Fatal(err)
	}
	pager, audit, ml := root.Routes[0], root.Routes[1], root.Routes[2]
	iris := ml.Routes[0]
	if pager.GroupWait != 10*time.Second || pager.GroupInterval != DefaultGroupInterval || pager.RepeatInterval != DefaultRepeatInterval {
		t.Errorf("pager timers %v %v %v", pager.GroupWait, pager.GroupInterval, pager.RepeatInterval)
	}
	if iris.Receiver != "ml" || !slices.Equal(iris.GroupBy, []string{"alertname", "model"}) || iris.RepeatInterval != time.Hour || iris.GroupWait != DefaultGroupWait {
		t.Errorf("iris route inherits wrongly: %+v", iris)
	}
	l := obs.Labels{"alertname": "drift", "model": "iris", "version": "3"}
	for _, c := range []struct {
		r    *Route
		want string
	}{
		{root, `0{alertname="drift"}`},
		{audit, `0.1{alertname="drift", model="iris", version="3"}`},
		{iris, `0.2.0{alertname="drift", model="iris"}`},
		{pager, `0.0{alertname="drift"}`},
	} {
		if got := c.r.GroupKey(l); got != c.want {
			t.Errorf("route %s: GroupKey = %s, want %s", c.r.ID, got, c.want)
		}
	}
	if got := root.Receivers(); !slices.Equal(got, []string{"audit", "default", "ml", "pager"}) {
		t.Errorf("Receivers() = %q", got)
	}
}

func TestCompileErrors(t *testing.T) {
	_, err := Compile(Config{
		Matchers: []string{"a=b"},
		Continue: true,
		Routes: []Config{
			{Matchers: []string{"model"}, GroupWait: new(-time.Second)},
			{GroupBy: []string{"...", "model", "bad-name"}, Routes: []Config{{RepeatInterval: new(-time.Minute)}}},
			{GroupWait: new(time.Duration(0)), GroupInterval: new(time.Duration(0))},
		},
	})
	want := []string{
		"receiver is required on the root route",
		"the root route has no matchers: it matches every alert",
		"continue has no meaning on the root route",
		`routes[0]: matcher "model": want name=value, name!=value, name=~regexp or name!~regexp`,
		"routes[0]: group_wait -1s is negative",
		`routes[1]: "bad-name" in group_by is not a label name`,
		`routes[1]: "..." in group_by already groups by every label; give it alone`,
		"routes[1].routes[0]: repeat_interval -1m0s is negative",
		"routes[2]: group_interval is 0: want a positive duration, or leave it out to inherit",
	}
	if err == nil {
		t.Fatal("no error")
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDepth(t *testing.T) {
	c := Config{Receiver: "r"}
	cur := &c
	for range MaxDepth + 1 {
		cur.Routes = []Config{{}}
		cur = &cur.Routes[0]
	}
	if _, err := Compile(c); err == nil || !strings.Contains(err.Error(), "nested deeper than 32") {
		t.Errorf("error %v, want the depth limit", err)
	}
}

func BenchmarkMatch(b *testing.B) {
	root, err := Compile(tree)
	if err != nil {
		b.Fatal(err)
	}
	l := obs.Labels{"alertname": "drift", "model": "iris", "version": "3"}
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range root.Match(l) {
			_ = r.GroupKey(l)
		}
	}
}
