package route

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// DefaultMaxGroups bounds the groups a Dispatcher keeps; alerts that would
// open more are counted and dropped.
const DefaultMaxGroups = 10_000

// Notification is what one receiver is sent for one group at one flush.
type Notification struct {
	Receiver    string
	GroupKey    string
	GroupLabels obs.Labels
	// Status is "firing" when an alert of the group fires, else "resolved".
	Status string
	// Alerts are the group's firing alerts and those that resolved since
	// the last notification, silenced and inhibited ones left out, oldest
	// first.
	Alerts []*alert.Alert
	// DedupKey identifies this notification's content: the same group
	// with the same alerts in the same states gives the same key, so a
	// notification retried after a crash can be recognised downstream.
	DedupKey string
	// RepeatInterval is the route's repeat_interval: an outbox that
	// remembers the group's last delivered notification (outbox.Item's
	// RepeatAfter) does not send an equal one again sooner.
	RepeatInterval time.Duration
}

// Dispatcher sorts alerts into groups by route and decides when each group
// notifies, with the route's group_wait, group_interval and
// repeat_interval (see the package documentation):
//
//   - a group is opened by its first firing alert and notifies group_wait
//     later;
//   - after a notification it is looked at every group_interval: it
//     notifies when its alerts changed (one joined, or resolved), or when
//     repeat_interval has passed since it last notified and an alert still
//     fires;
//   - resolved alerts are notified once, then leave the group; an empty
//     group is closed.
//
// Silenced and inhibited alerts stay in their group but are left out of
// its notifications; a group whose alerts are all muted notifies nothing.
// Pending alerts are ignored. A Dispatcher is used from one goroutine.
type Dispatcher struct {
	root      *Route
	inhibit   *Inhibitor
	maxGroups int
	groups    map[string]*group
	dropped   int
}

type group struct {
	route    *Route
	key      string
	labels   obs.Labels
	alerts   map[uint64]*alert.Alert
	due      time.Time // next time to look at the group
	notified time.Time // last notification; zero before the first
	changed  bool      // alerts changed since the last notification
}

// NewDispatcher returns a Dispatcher over the tree root; in may be nil.
func NewDispatcher(root *Route, in *Inhibitor) *Dispatcher {
	return &Dispatcher{root: root, inhibit: in, maxGroups: DefaultMaxGroups, groups: map[string]*group{}}
}

// Add takes the alerts the rule engine returned at now: firing ones join
// (or update) their groups, resolved ones mark their groups changed.
func (d *Dispatcher) Add(now time.Time, alerts []*alert.Alert) {
	for _, a := range alerts {
		if a.State != alert.Firing && a.State != alert.Resolved {
			continue
		}
		fp := a.Fingerprint()
		for _, r := range d.root.Match(a.Labels) {
			key := r.GroupKey(a.Labels)
			g := d.groups[key]
			if g == nil {
				if a.State != alert.Firing {
					continue // never notified as firing here: nothing to resolve
				}
				if len(d.groups) >= d.maxGroups {
					d.dropped++
					continue
				}
				g = &group{route: r, key: key, labels: r.GroupLabels(a.Labels), alerts: map[uint64]*alert.Alert{}, due: now.Add(r.GroupWait)}
				d.groups[key] = g
			}
			if old := g.alerts[fp]; old == nil || old.State != a.State || old.Severity != a.Severity {
				g.changed = true
			}
			g.alerts[fp] = a
		}
	}
}

// Flush returns the notifications due at now, in group key order, and
// updates the groups. silences mute the alerts they match.
func (d *Dispatcher) Flush(now time.Time, silences []*Silence) []Notification {
	var out []Notification
	var firing []*alert.Alert
	for _, g := range d.groups {
		for _, a := range g.alerts {
			if a.State == alert.Firing {
				firing = append(firing, a)
			}
		}
	}
	for _, key := range d.sortedKeys() {
		g := d.groups[key]
		if now.Before(g.due) {
			continue
		}
		g.due = now.Add(g.route.GroupInterval)
		hasFiring := false
		for _, a := range g.alerts {
			hasFiring = hasFiring || a.State == alert.Firing
		}
		repeat := hasFiring && !g.notified.IsZero() && now.Sub(g.notified) >= g.route.RepeatInterval
		if g.changed || repeat {
			if n, ok := d.notification(g, now, silences, firing); ok {
				out = append(out, n)
				g.notified = now
			}
			g.changed = false
		}
		for fp, a := range g.alerts {
			if a.State == alert.Resolved {
				delete(g.alerts, fp)
			}
		}
		if len(g.alerts) == 0 {
			delete(d.groups, key)
		}
	}
	return out
}

func (d *Dispatcher) notification(g *group, now time.Time, silences []*Silence, firing []*alert.Alert) (Notification, bool) {
	n := Notification{Receiver: g.route.Receiver, GroupKey: g.key, GroupLabels: g.labels, Status: "resolved",
		RepeatInterval: g.route.RepeatInterval}
	for _, a := range g.alerts {
		if len(Silenced(silences, a.Labels, now)) > 0 || d.inhibit.Inhibited(a.Labels, firing) {
			continue
		}
		n.Alerts = append(n.Alerts, a)
		if a.State == alert.Firing {
			n.Status = "firing"
		}
	}
	if len(n.Alerts) == 0 {
		return n, false
	}
	slices.SortFunc(n.Alerts, func(x, y *alert.Alert) int {
		return cmp.Or(x.ActiveAt.Compare(y.ActiveAt), cmp.Compare(x.Fingerprint(), y.Fingerprint()))
	})
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\xff%s", n.Receiver, n.GroupKey)
	for _, a := range n.Alerts {
		fmt.Fprintf(h, "\xff%016x:%s:%s", a.Fingerprint(), a.State, a.Severity)
	}
	n.DedupKey = fmt.Sprintf("%016x", h.Sum64())
	return n, true
}

// NextDue returns the earliest time a group is due, or the zero time when
// there is no group.
func (d *Dispatcher) NextDue() time.Time {
	var t time.Time
	for _, g := range d.groups {
		if t.IsZero() || g.due.Before(t) {
			t = g.due
		}
	}
	return t
}

// Groups returns the number of open groups, and how many alerts were
// dropped because DefaultMaxGroups groups were open.
func (d *Dispatcher) Groups() (open, dropped int) { return len(d.groups), d.dropped }

func (d *Dispatcher) sortedKeys() []string {
	keys := make([]string, 0, len(d.groups))
	for k := range d.groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
