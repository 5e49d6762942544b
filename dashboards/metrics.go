package dashboards

// The metric names the dashboards query, in one place (README.md,
// "Metrics", documents them; a test checks that it does).
const (
	mProxyRequests    = "driftwatch_proxy_requests_total"
	mUpstreamDuration = "driftwatch_proxy_upstream_duration_seconds"
	mOverhead         = "driftwatch_proxy_overhead_seconds"
	mTapDropped       = "driftwatch_tap_dropped_total"
	mRequests         = "driftwatch_requests_total"
	mDriftDetected    = "driftwatch_drift_detected"
	mDriftDrifted     = "driftwatch_drift_features_drifted"
	mDriftFeatures    = "driftwatch_drift_features"
	mWindowRecords    = "driftwatch_drift_window_records"
	mFeatureDrift     = "driftwatch_feature_drift"
	mFeatureStat      = "driftwatch_feature_drift_statistic"
	mFeatureP         = "driftwatch_feature_drift_p_value"
	mFeatureAdjP      = "driftwatch_feature_drift_adjusted_p_value"
	mFeatureEffect    = "driftwatch_feature_drift_effect_size"
	mPerformance      = "driftwatch_model_performance"
	mAlerts           = "driftwatch_alerts"
	mNotifications    = "driftwatch_notifications_total"
	mOutbox           = "driftwatch_outbox_notifications"
	mCircuitOpen      = "driftwatch_receiver_circuit_open"
	mProbeSuccess     = "driftwatch_probe_success"
	mProbeDuration    = "driftwatch_probe_duration_seconds"
	mGPUUp            = "driftwatch_gpu_up"
	mGPUUtil          = "driftwatch_gpu_utilization_ratio"
	mGPUMemUsed       = "driftwatch_gpu_memory_used_bytes"
	mGPUMemTotal      = "driftwatch_gpu_memory_total_bytes"
	mGPUTemp          = "driftwatch_gpu_temperature_celsius"
	mGPUPower         = "driftwatch_gpu_power_watts"
	mGPUPowerLimit    = "driftwatch_gpu_power_limit_watts"
	mGPUClock         = "driftwatch_gpu_clock_hertz"
	mGPUThrottled     = "driftwatch_gpu_throttled"
	mGPUECC           = "driftwatch_gpu_ecc_errors_total"
	mGPUXID           = "driftwatch_gpu_xid_errors_total"

	// Not exported yet: they come with issue 5 (outliers, adversarial
	// clients); the panels show "No data" until then.
	mOutlierRate = "driftwatch_outlier_rate"
	mSuspects    = "driftwatch_adversarial_suspects"
)

// pending are the names not documented yet (issue 5).
var pending = []string{mOutlierRate, mSuspects}
