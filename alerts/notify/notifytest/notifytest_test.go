package notifytest_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/notifytest"
)

// A minimal notifier built on PostJSON passes the kit.
func TestRunPostJSON(t *testing.T) {
	newN := func(t *testing.T, url string) notify.Notifier {
		return notify.NotifierFunc(func(ctx context.Context, m *notify.Message) error {
			return notify.PostJSON(ctx, http.DefaultClient, notify.Secret(url), nil, m.Alerts)
		})
	}
	notifytest.Run(t, newN, notifytest.Options{})
	notifytest.Run(t, nil, notifytest.Options{
		OK: notifytest.Response{Body: "ok"},
		NewWithLogger: func(t *testing.T, url string, l *slog.Logger) notify.Notifier {
			n := newN(t, url)
			return notify.NotifierFunc(func(ctx context.Context, m *notify.Message) error {
				err := n.Notify(ctx, m)
				l.Warn("notify", "url", notify.RedactURL(url), "err", err)
				return err
			})
		},
	})
}

func TestSampleMessage(t *testing.T) {
	m := notifytest.SampleMessage()
	if len(m.Alerts) != 2 || len(m.Firing()) != 1 || len(m.Resolved()) != 1 || m.Status != notify.StatusFiring {
		t.Fatalf("SampleMessage = %+v", m)
	}
	for _, a := range m.Alerts {
		if len(a.Evidence) == 0 {
			t.Errorf("alert %s has no evidence", a.Labels)
		}
	}
}
