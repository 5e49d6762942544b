package dashboards

// Every metric name the dashboards query is a constant of this file, so a
// rename happens here and only here. TestMetricNames checks that the
// queries use no other driftwatch_ name, that each constant is used, and
// that README.md's "Metrics" table documents each one.
const (
	// Proxy and tap (collectors/proxy).
	mProxyRequests    = "driftwatch_proxy_requests_total"
	mUpstreamDuration = "driftwatch_proxy_upstream_duration_seconds" // histogram: query its _bucket
	mOverhead         = "driftwatch_proxy_overhead_seconds"          // histogram: query its _bucket
	mUpstreamErrors   = "driftwatch_proxy_upstream_errors_total"
	mTapDropped       = "driftwatch_tap_dropped_total"
	mRequests         = "driftwatch_requests_total"

	// Drift (detectors/drift and its monitor).
	mDriftDetected   = "driftwatch_drift_detected"
	mDriftDrifted    = "driftwatch_drift_features_drifted"
	mDriftFeatures   = "driftwatch_drift_features"
	mWindowRecords   = "driftwatch_drift_window_records"
	mReferenceRecs   = "driftwatch_drift_reference_records"
	mLastWindow      = "driftwatch_drift_last_window_timestamp_seconds"
	mFeatureDrift    = "driftwatch_feature_drift"
	mFeatureStat     = "driftwatch_feature_drift_statistic"
	mFeatureP        = "driftwatch_feature_drift_p_value"
	mFeatureAdjP     = "driftwatch_feature_drift_adjusted_p_value"
	mFeatureEffect   = "driftwatch_feature_drift_effect_size"
	mPerformance     = "driftwatch_model_performance"
	mPerformanceSize = "driftwatch_model_performance_labels"

	// Outliers and adversarial clients (detectors/outlier,
	// detectors/adversarial).
	mOutlierRate = "driftwatch_outlier_rate"                       // gauge {model, version, method}: share of the last second flagged
	mOutliers    = "driftwatch_outliers_total"                     // counter {model, version, method}
	mSuspects    = "driftwatch_adversarial_suspects"               // gauge {signal}: clients suspected now; signal stateful|extraction|boundary
	mQuality     = "driftwatch_data_quality_issues_total"          // counter {model, version, feature, kind}
	mExcluded    = "driftwatch_adversarial_records_excluded_total" // counter {model, version}: suspects' records kept out of the windows
	mSqueezeL1   = "driftwatch_feature_squeezing_l1"               // histogram {model, version}: query its _bucket

	// Alerts and their delivery (alerts/...).
	mAlerts        = "driftwatch_alerts"
	mNotifications = "driftwatch_notifications_total"
	mOutbox        = "driftwatch_outbox_notifications"
	mCircuitOpen   = "driftwatch_receiver_circuit_open"

	// Synthetic checks (synthetics).
	mProbeSuccess  = "driftwatch_probe_success"
	mProbeDuration = "driftwatch_probe_duration_seconds"

	// GPUs (collectors/gpu).
	mGPUUp           = "driftwatch_gpu_up"
	mGPUSourceErrors = "driftwatch_gpu_source_errors_total"
	mGPUUtil         = "driftwatch_gpu_utilization_ratio"
	mGPUMemCopyUtil  = "driftwatch_gpu_memory_copy_utilization_ratio"
	mGPUMemUsed      = "driftwatch_gpu_memory_used_bytes"
	mGPUMemFree      = "driftwatch_gpu_memory_free_bytes"
	mGPUMemTotal     = "driftwatch_gpu_memory_total_bytes"
	mGPUTemp         = "driftwatch_gpu_temperature_celsius"
	mGPUPower        = "driftwatch_gpu_power_watts"
	mGPUPowerLimit   = "driftwatch_gpu_power_limit_watts"
	mGPUClock        = "driftwatch_gpu_clock_hertz"
	mGPUThrottled    = "driftwatch_gpu_throttled"
	mGPUECC          = "driftwatch_gpu_ecc_errors_total"
	mGPUXID          = "driftwatch_gpu_xid_errors_total"
	mGPULastXID      = "driftwatch_gpu_last_xid"
)
