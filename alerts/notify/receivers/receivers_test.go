package receivers

import (
	"strings"
	"testing"

	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/console"
	"github.com/driftwatch/driftwatch/alerts/notify/datadog"
	"github.com/driftwatch/driftwatch/alerts/notify/slack"
	"github.com/driftwatch/driftwatch/alerts/notify/webhook"
)

func TestBuild(t *testing.T) {
	t.Setenv("DW_TEST_HOOK", "http://127.0.0.1:9/hook/SECRET")
	ns, err := Build([]Config{
		{Name: "ml-team", Webhook: &webhook.Config{URL: notify.Secret("env:DW_TEST_HOOK")}},
		{Name: "local", Console: &console.Config{}},
		{Name: "chat", Slack: &slack.Config{URL: notify.Secret("env:DW_TEST_HOOK")}},
		{Name: "dd", Datadog: &datadog.Config{APIKey: notify.Secret("env:DW_TEST_HOOK"), StatsdAddr: "127.0.0.1:8125"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ns["ml-team"].(*webhook.Notifier); !ok {
		t.Errorf("ml-team is a %T", ns["ml-team"])
	}
	if _, ok := ns["dd"].(*datadog.Notifier); !ok {
		t.Errorf("dd is a %T", ns["dd"])
	}
	if err := Close(ns); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, ok := ns["chat"].(*slack.Notifier); !ok {
		t.Errorf("chat is a %T", ns["chat"])
	}
	if _, ok := ns["local"].(*console.Notifier); !ok {
		t.Errorf("local is a %T", ns["local"])
	}
	for _, c := range []struct {
		cfgs []Config
		want string
	}{
		{[]Config{{Name: "x"}}, `receiver "x": give exactly one of webhook, slack, datadog, sentry, pagerduty or console, got 0`},
		{[]Config{{Name: "x", Console: &console.Config{}, Webhook: &webhook.Config{URL: "http://h"}}}, "got 2"},
		{[]Config{{Name: "bad name", Console: &console.Config{}}}, `name "bad name"`},
		{[]Config{{Name: "a", Console: &console.Config{}}, {Name: "a", Console: &console.Config{}}}, `receivers[1]: name "a" is used twice`},
		{[]Config{{Name: "a", Webhook: &webhook.Config{URL: "env:DW_TEST_UNSET_VARIABLE"}}}, `receiver "a": `},
	} {
		if _, err := Build(c.cfgs, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Build(%+v) = %v, want an error containing %q", c.cfgs, err, c.want)
		}
	}
}
