// Package outlier scores single records against a reference: how unlike
// the reference data one request is, and which features made it so.
//
// Every scorer is fitted once on a reference matrix (one []float64 row per
// record, numeric features in a fixed column order), is read-only after
// that and safe for concurrent use, and maps a row to a score where larger
// means more unusual:
//
//	RobustZ       max_j |x_j − median_j| / (1.4826·MAD_j)
//	Mahalanobis   (x − μ)ᵀ Σ_LW⁻¹ (x − μ), Σ_LW the Ledoit–Wolf shrunk covariance
//	IForest       2^(−E[h(x)]/c(ψ)), Isolation Forest (Liu, Ting & Zhou 2008)
//	KNN           Euclidean distance to the k-th nearest reference row
//
// ScoreRows scores many rows in parallel; IForest and KNN then use
// batched paths (tree by tree over blocks of rows; a blocked matrix
// multiply for the distances).
//
// # Thresholds
//
// Fit fits a scorer by method name and calibrates a threshold to a target
// false-positive rate on the reference: the threshold is the (1 − fpr)
// quantile (linear interpolation, numpy's default) of reference scores,
// and a row is an outlier when its score is above it.
//
// Scoring the rows a model was fitted on is biased toward "normal": a row
// pulls the mean and covariance toward itself, a nearest-neighbour search
// finds the row itself at distance 0, and an isolation tree was grown
// around it. Fit therefore calibrates on scores of rows the model did not
// see: 5-fold out-of-fold scores for Mahalanobis and IForest (each fold
// scored by a model fitted on the other four), leave-one-out distances for
// KNN. Only RobustZ scores its own rows, since one row moves a median or a
// MAD by at most one order statistic.
//
// # Live detection
//
// Monitor wraps a fitted scorer for one model version: it scores each
// obs.Record, counts data-quality issues per feature (missing, NaN/Inf,
// outside the reference range, categories the reference never holds, wrong
// types), keeps a bounded ring of recent outliers with their most extreme
// features, and emits the Results named ResultOutlierRate,
// ResultDataQuality and ResultFeatureQuality.
package outlier
