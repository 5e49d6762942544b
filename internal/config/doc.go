// Package config loads driftwatch's one YAML configuration file.
//
// Load and Parse decode strictly and return every problem at once, each an
// *Error that renders as
//
//	file:line:col: path: message
//
// for example
//
//	driftwatch.yaml:7:7: models[0].drift.window.size: want an integer, got "big"
//	driftwatch.yaml:3:3: proxy.timout: unknown field "timout"
//
// A YAML syntax error has a line but no column (the YAML library reports
// none) and no path. How it works: the file is parsed into yaml.Node values
// first; a walk over the nodes, led by reflection over the target types and
// their yaml tags, reports each unknown or repeated key, each value of the
// wrong kind and each scalar that does not decode, with its exact position
// and path. The sections without such errors are then decoded (their
// UnmarshalYAML methods fill in defaults with the `type plain T` trick) and
// checked: this package's own checks point at the field they are about; a
// component's Validate error points at the one field of its section that
// the message names, else at the section. Own-field checks live in a
// validation pass rather than in UnmarshalYAML because the YAML library
// stops at the first error an UnmarshalYAML returns, and we report them
// all.
//
// Config is the raw file with defaults; Compile turns it into a Runtime of
// the objects the sidecar runs (proxy.Config, payload decoders, drift
// monitor templates, matchers).
//
// # Schema
//
// testdata/good/full.yaml shows every field. All but upstream are
// optional; the defaults are in brackets.
//
//	listen: host:port              # the proxy [:8080]
//	admin_listen: host:port        # /metrics, /healthz, /readyz, /api/v1 [:9464]
//	upstream: http://host:port     # the model server; required
//	state_file: state.db           # silences, kept across restarts [a temporary file]
//	proxy:
//	  capture_limit: 1MiB          # bytes, or a size with B, KB, MB, GB, KiB, MiB, GiB; negative: no capture [1MiB]
//	  timeout: 30s                 # connect + response headers, a Go duration [30s]
//	  rewrite_host: false          # send the upstream's Host [false]
//	  max_idle_conns: 256          # [256]
//	  queue_size: 10000            # tap queue; more is dropped and counted [10000]
//	models:                        # first match wins [one entry matching everything]
//	  - match:                     # all set fields must match; {} matches everything
//	      path_prefix: /v2/models/iris
//	      model: iris              # the path segment after /models/
//	    payload:                   # payload.Config
//	      protocol: oip-v2         # auto, json, mlflow, oip-v2, seldon-v1, tf-serving [auto]
//	      model: iris              # override the name the traffic gives
//	      version: "3"
//	      model_header: X-Model-Name
//	      version_header: X-Model-Version
//	      feature_names: [a, b]
//	      features_path: $.rows    # protocol json only
//	      predictions_path: $.out
//	      max_body_bytes: 67108864
//	    drift:
//	      window:                  # stream.WindowConfig [size: 1000, mode: tumbling]
//	        size: 10000
//	        duration: 10m
//	        mode: sliding          # tumbling or sliding
//	        step: 2500
//	        step_duration: 1m
//	        max_records: 10000
//	      reference:               # exactly one of [first: 1000]
//	        file: ref.csv          # CSV, JSONL or Parquet, relative to this file
//	        ignore: [label]        # columns of the file that traffic does not carry
//	        first: 1000            # the first N records seen
//	      options:                 # drift.Options, over drift.LiveOptions()
//	        test: auto
//	        alpha: 0.05
//	        correction: fdr        # none, bonferroni, fdr
//	        min_effect: 0.1
//	        drift_share: 0
//	        permutations: 100
//	        seed: 1
//	        mmd_max_rows: 500
//	        mmd_standardize: false
//	        ks_method: fast        # auto (scipy's), fast, asymptotic [fast]
//	        thresholds: {psi: 0.2}
//	      features: true           # neither features nor predictions: both
//	      predictions: false
//	      min_records: 100
//	      max_columns: 1024
//	    adversarial:               # per-client signals; needs drift.reference.file [off]
//	      client_header: X-Api-Key # the client key [the remote address]
//	      salt: env:CLIENT_SALT    # for the HMAC of client keys [random per process]
//	    outliers:                  # per-record outlier scores and data quality; needs drift.reference.file [off]
//	      method: iforest          # iforest, mahalanobis, knn, zscore [iforest]
//	      fpr: 0.005               # share of clean records flagged [0.005]
//	      k: 5                     # the neighbour of knn [5]
//	      recent: 100              # outliers kept for /api/v1/outliers [100]
//	    feature_squeezing:         # re-send a sample with reduced precision [off]
//	      sample: 0.01             # share of requests; the model gets this much more traffic [0.01]
//	      digits: 2                # significant digits kept [2]
//	      timeout: 2s              # [2s]
//	feedback:                      # delayed labels, on when present (feedback: {} for the defaults) [off]
//	  prediction: label            # the prediction value labels are compared with [label, else the first]
//	  task: auto                   # auto, classification, regression [auto]
//	  window: 1000                 # labelled predictions per window [1000]
//	  duration: 1h                 # also close a window this long after its first label [0: by count]
//	  min_labels: 30               # least labels of a window closed by duration [30]
//	  ttl: 1h                      # how long a prediction waits for its label [1h]
//	  max_pending: 100000          # predictions waiting; the oldest are dropped [100000]
//	  max_models: 64               # model versions tracked [64]
//	rules:                         # alerting rules over the detectors' results: rules.Rule [none]
//	  - name: model_drift          # unique
//	    result: dataset_drift      # the result it applies to: dataset_drift, feature_drift, model_performance
//	    match: {model: iris}       # result labels that must be equal
//	    op: ">="                   # >, >=, <, <=, ==, !=
//	    warning: 1                 # at least one of warning and critical
//	    critical: 1
//	    recover: 0.5               # hysteresis: once firing, firing until the value is past this
//	    for: 5m                    # pending this long before firing [0]
//	    keep_firing_for: 10m       # [0]
//	    occurrences: {count: 3, within: 10m}  # M times within N
//	    min_samples: 500           # ignore results of fewer samples
//	    no_data: {after: 15m, state: ok}      # ok, alerting, keep
//	    max_series: 10000          # label sets kept per rule [10000]
//	    labels: {team: ml}
//	    annotations: {summary: "{{.Labels.model}} drifted"}  # Go templates
//	route:                         # where alerts go: route.Config (see its package doc) [none]
//	  receiver: slack              # required at the root
//	  group_by: [alertname, model] # ["..."]: every label [inherited; none at the root]
//	  group_wait: 30s              # [30s]; 0s notifies at once
//	  group_interval: 5m           # [5m]
//	  repeat_interval: 4h          # [4h]
//	  routes:                      # the first matching child wins unless it says continue
//	    - matchers: [severity=critical, 'model=~"iris|wine"']  # =, !=, =~, !~
//	      receiver: pager
//	      continue: true
//	receivers:                     # where routes send: receivers.Config, exactly one kind each
//	  - name: slack                # every receiver a route names must be here
//	    slack: {url: "env:SLACK_URL", max_alerts: 10, min_interval: 1s}  # Block Kit; url: env:, file: or literal
//	    fallback: audit            # gets what slack refuses, or all of it while slack is down [none]
//	  - name: audit
//	    webhook: {url: "env:HOOK_URL", max_alerts: 20, timeout: 10s}  # Alertmanager v4 JSON
//	  - name: datadog
//	    datadog: {api_key: "env:DD_API_KEY", site: datadoghq.com, tags: ["team:ml"], statsd_addr: "127.0.0.1:8125"}
//	  - name: sentry
//	    sentry: {dsn: "env:SENTRY_DSN", environment: production, release: "model@42", server_name: rerank-1, timeout: 10s}
//	  - name: oncall
//	    pagerduty: {routing_key: "env:PD_KEY", source: rerank.prod, component: ranking, group: ml, class: drift, default_severity: error}
//	  - name: local
//	    console: {output: stdout}
//	synthetics:                    # end-to-end checks: synthetics.Check (see its doc) [none]
//	  - name: predict-ok           # without upstream, a file of synthetics serves synth run only
//	    interval: 30s              # [1m], shifted by up to jitter [interval/10]
//	    retries: 2                 # [0], retry_interval apart [1s]
//	    min_failure_duration: 2m   # [0]
//	    request: {url: "http://127.0.0.1:8081/v2/models/m/infer", body_file: req.json, timeout: 5s}
//	    expect: {status: [200], max_latency: 300ms, json: [{path: "$.outputs[0].data[0]", min: 0, max: 1}]}
//	  - name: golden
//	    request: {url: "http://127.0.0.1:8081/v2/models/m/infer"}
//	    golden: {file: golden.jsonl, protocol: oip-v2, tolerance: 0.05, min_agreement: 1}
//	gpu:                           # the GPU collector: gpu.Config [source auto]
//	  source: dcgm                 # auto (NVML, else nvidia-smi), nvml, dcgm, nvidia-smi, off
//	  url: http://127.0.0.1:9400/metrics   # dcgm only
//	  interval: 15s                # [15s]
//	inhibit_rules:                 # mute targets while a source fires [none]
//	  - source_matchers: [alertname=model_drift]
//	    target_matchers: [alertname=feature_drift]
//	    equal: [model, version]    # a label missing on either side is not equal
//
// A window or reference given in the file replaces the default one whole;
// options are merged field by field over the defaults. Merge keys (<<) are
// not supported; anchors and aliases are.
//
// New sections (rules, receivers) are added as fields of Config with
// their own types: the walk, the decoding and the error positions need no
// change, and their checks join validate.
package config
