// Package route decides where an alert goes: a tree of routes, each with
// label matchers, a receiver and grouping settings, walked for every alert.
//
// How an alert finds its routes: starting at the root (which matches every
// alert), the children of a route are tried in order; the first whose
// matchers all match is entered, and the walk continues inside it. A child
// with continue: true lets the following siblings be tried as well, so an
// alert can reach several receivers. When no child of a route matches, the
// route itself is where the alert goes. Settings a route leaves out are
// taken from its parent.
//
// The grouping settings, in plain words:
//   - group_by: the labels whose values put alerts in one notification
//     (["alertname", "model"]: one message per rule and model). ["..."]
//     groups by every label, so each alert is alone; [] puts every alert of
//     the route in one group.
//   - group_wait: how long a new group waits before its first notification,
//     so that alerts that start together arrive together.
//   - group_interval: how long a group waits before notifying again after
//     it changed (an alert joined, fired or resolved).
//   - repeat_interval: how long before a notification is sent again for a
//     group that did not change and still has firing alerts.
package route

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Defaults of the root route, as Alertmanager's.
const (
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
	// GroupByAll in group_by groups by every label.
	GroupByAll = "..."
	// MaxDepth bounds the nesting of routes.
	MaxDepth = 32
)

// Config is a route as written in the configuration file. A timing left
// out (nil) is inherited from the parent route; group_wait may be 0 (notify
// at once), the two intervals may not.
type Config struct {
	Receiver       string         `yaml:"receiver"`
	Matchers       []string       `yaml:"matchers"`
	Continue       bool           `yaml:"continue"`
	GroupBy        []string       `yaml:"group_by"`
	GroupWait      *time.Duration `yaml:"group_wait"`
	GroupInterval  *time.Duration `yaml:"group_interval"`
	RepeatInterval *time.Duration `yaml:"repeat_interval"`
	Routes         []Config       `yaml:"routes"`
}

// Route is a compiled route, with its parent's settings filled in.
type Route struct {
	// ID locates the route in the tree: "0" is the root, "0.2" its third
	// child. It is part of every group key, so equal labels under two
	// routes make two groups.
	ID             string
	Receiver       string
	Matchers       Matchers
	Continue       bool
	GroupBy        []string // sorted; nil with GroupByAll
	GroupByAll     bool
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration
	Routes         []*Route
}

// Compile checks the tree whose root is cfg and fills in inherited
// settings. Its error joins every problem, each naming the route by its
// path (routes[1].routes[0]) and the field as a word.
func Compile(cfg Config) (*Route, error) {
	root := &Route{GroupWait: DefaultGroupWait, GroupInterval: DefaultGroupInterval, RepeatInterval: DefaultRepeatInterval}
	var errs []error
	if cfg.Receiver == "" {
		errs = append(errs, errors.New("receiver is required on the root route"))
	}
	if len(cfg.Matchers) > 0 {
		errs = append(errs, errors.New("the root route has no matchers: it matches every alert"))
	}
	if cfg.Continue {
		errs = append(errs, errors.New("continue has no meaning on the root route"))
	}
	r := compile(cfg, root, "0", "", 0, &errs)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

func compile(c Config, parent *Route, id, path string, depth int, errs *[]error) *Route {
	fail := func(format string, a ...any) {
		msg := fmt.Sprintf(format, a...)
		if path != "" {
			msg = path + ": " + msg
		}
		*errs = append(*errs, errors.New(msg))
	}
	r := &Route{
		ID: id, Receiver: c.Receiver, Continue: c.Continue,
		GroupBy: parent.GroupBy, GroupByAll: parent.GroupByAll,
		GroupWait: parent.GroupWait, GroupInterval: parent.GroupInterval, RepeatInterval: parent.RepeatInterval,
	}
	if r.Receiver == "" {
		r.Receiver = parent.Receiver
	}
	ms, err := ParseMatchers(c.Matchers)
	if err != nil {
		fail("%v", err)
	}
	r.Matchers = ms
	if c.GroupBy != nil {
		r.GroupBy, r.GroupByAll = nil, false
		for _, l := range c.GroupBy {
			switch {
			case l == GroupByAll:
				r.GroupByAll = true
			case !validName(l):
				fail("%q in group_by is not a label name", l)
			default:
				r.GroupBy = append(r.GroupBy, l)
			}
		}
		if r.GroupByAll && len(r.GroupBy) > 0 {
			fail(`"..." in group_by already groups by every label; give it alone`)
		}
		slices.Sort(r.GroupBy)
		r.GroupBy = slices.Compact(r.GroupBy)
	}
	for _, d := range []struct {
		name     string
		v        *time.Duration
		dst      *time.Duration
		zeroIsOK bool
	}{
		{"group_wait", c.GroupWait, &r.GroupWait, true},
		{"group_interval", c.GroupInterval, &r.GroupInterval, false},
		{"repeat_interval", c.RepeatInterval, &r.RepeatInterval, false},
	} {
		switch {
		case d.v == nil:
		case *d.v < 0:
			fail("%s %v is negative", d.name, *d.v)
		case *d.v == 0 && !d.zeroIsOK:
			fail("%s is 0: want a positive duration, or leave it out to inherit", d.name)
		default:
			*d.dst = *d.v
		}
	}
	if depth >= MaxDepth && len(c.Routes) > 0 {
		fail("routes nested deeper than %d", MaxDepth)
		return r
	}
	for i, child := range c.Routes {
		p := "routes[" + strconv.Itoa(i) + "]"
		if path != "" {
			p = path + "." + p
		}
		r.Routes = append(r.Routes, compile(child, r, id+"."+strconv.Itoa(i), p, depth+1, errs))
	}
	return r
}

// Match returns the routes an alert with labels l goes to, in tree order.
func (r *Route) Match(l obs.Labels) []*Route {
	if !r.Matchers.Matches(l) {
		return nil
	}
	var out []*Route
	for _, c := range r.Routes {
		m := c.Match(l)
		out = append(out, m...)
		if len(m) > 0 && !c.Continue {
			break
		}
	}
	if len(out) == 0 {
		out = append(out, r)
	}
	return out
}

// GroupKey returns the key of the group of an alert with labels l in route
// r: the route's ID and the group_by labels with their values,
//
//	0.1{alertname="model_drift", model="iris"}
//
// An absent label groups as the empty value.
func (r *Route) GroupKey(l obs.Labels) string {
	var b strings.Builder
	b.WriteString(r.ID)
	b.WriteString(r.GroupLabels(l).String())
	return b.String()
}

// GroupLabels returns the labels of l that r groups by.
func (r *Route) GroupLabels(l obs.Labels) obs.Labels {
	if r.GroupByAll {
		return l
	}
	g := make(obs.Labels, len(r.GroupBy))
	for _, name := range r.GroupBy {
		g[name] = l[name]
	}
	return g
}

// Receivers returns the receivers the tree names, sorted, each once.
func (r *Route) Receivers() []string {
	var out []string
	var walk func(*Route)
	walk = func(r *Route) {
		out = append(out, r.Receiver)
		for _, c := range r.Routes {
			walk(c)
		}
	}
	walk(r)
	slices.Sort(out)
	return slices.Compact(out)
}
