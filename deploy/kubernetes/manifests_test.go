// Package kubernetes_test checks the Kubernetes manifests of this folder:
// every document decodes strictly into the API types (k8s.io/api, the
// Prometheus Operator's, and for KServe's InferenceService a wrapper of our
// own around the real PodSpec), so a typo in a field name fails CI; and
// driftwatch's own configuration in the ConfigMap passes driftwatch's
// checks.
package kubernetes_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/driftwatch/driftwatch/internal/config"
)

// inferenceService is the part of KServe's v1beta1 InferenceService these
// manifests use; its predictor is a real PodSpec.
type inferenceService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Predictor struct {
			MinReplicas    *int32 `json:"minReplicas,omitempty"`
			MaxReplicas    int32  `json:"maxReplicas,omitempty"`
			corev1.PodSpec `json:",inline"`
		} `json:"predictor"`
	} `json:"spec"`
}

// types maps apiVersion/kind to a new value of its type.
var types = map[string]func() any{
	"apps/v1/Deployment": func() any { return &appsv1.Deployment{} },
	"v1/Service":         func() any { return &corev1.Service{} },
	"v1/ConfigMap":       func() any { return &corev1.ConfigMap{} },
	"v1/Secret":          func() any { return &corev1.Secret{} },
	"monitoring.coreos.com/v1/ServiceMonitor":    func() any { return &monitoringv1.ServiceMonitor{} },
	"serving.kserve.io/v1beta1/InferenceService": func() any { return &inferenceService{} },
}

func TestManifests(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(data, []byte("\n---\n")) {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
				continue
			}
			key := tm.APIVersion + "/" + tm.Kind
			newObj, ok := types[key]
			if !ok {
				t.Errorf("%s, document %d: no type for %s: add it to the test", f, i+1, key)
				continue
			}
			obj := newObj()
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Errorf("%s, document %d (%s): %v", f, i+1, key, err)
				continue
			}
			seen[key] = true
			if cm, ok := obj.(*corev1.ConfigMap); ok {
				checkDriftwatchConfig(t, f, cm)
			}
		}
	}
	for key := range types {
		if !seen[key] {
			t.Errorf("no manifest of %s", key)
		}
	}
}

// checkDriftwatchConfig runs driftwatch's own checks on the configuration
// in a ConfigMap.
func checkDriftwatchConfig(t *testing.T, file string, cm *corev1.ConfigMap) {
	t.Helper()
	doc, ok := cm.Data["driftwatch.yaml"]
	if !ok {
		t.Errorf("%s: ConfigMap %s has no driftwatch.yaml", file, cm.Name)
		return
	}
	t.Setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/x")
	cfg, errs := config.Parse(file+": driftwatch.yaml", []byte(doc))
	for _, e := range errs {
		t.Errorf("%v", e)
	}
	if len(errs) == 0 {
		if _, err := cfg.Compile(); err != nil {
			t.Errorf("%s: driftwatch.yaml: %v", file, err)
		}
	}
}
