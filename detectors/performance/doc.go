// Package performance measures how right a model is, once the truth is
// known: it joins ground-truth labels, which clients post later by request
// id, to the predictions the sidecar saw, and computes accuracy, precision
// and recall (classification) or MAE and RMSE (regression) per model version
// over tumbling windows of labelled predictions.
//
// # Metrics
//
// Accuracy, PrecisionRecall, MAE and RMSE are pure functions; each doc
// comment gives the formula, and each matches scikit-learn bit for bit
// (precision and recall are macro averages with zero_division=0).
//
// # The join
//
// Tracker.Observe stores, for every record with a request id that is not
// synthetic, its prediction value (Config.Prediction), model version, time
// and instance index. The records of a batch request come one after another
// in instance order, so the index is counted per request: the first record
// of a request id is instance 0, the next with the same id and model
// version instance 1, and so on. A request id seen again later, after other
// requests, starts a new request that replaces the old one; a client that
// reuses an id for two requests in a row gets them counted as one.
//
// Tracker.Label finds the prediction of (request id, index) and adds the
// pair (label, prediction) to the open window of its model version, or says
// why it cannot: ErrUnknownRequest, ErrExpired, ErrIndexOutOfRange,
// ErrNoPrediction, ErrDuplicate (the first label of an instance counts),
// ErrKindMismatch or ErrInvalidLabel. A label that comes before its
// prediction was observed (the tap is asynchronous) is unknown: the client
// may retry.
//
// # Bounds
//
// Memory does not depend on traffic. At most MaxPending predictions are
// held, in arrival order: when full, the oldest is dropped (counted as
// evicted if unlabelled); a prediction older than TTL cannot be labelled
// any more and is dropped at the next Observe or Results (counted as
// expired if unlabelled). Request ids longer than MaxRequestIDBytes are not
// stored, and classes are cut to MaxCategoryBytes. At most MaxModels model
// versions are tracked; each holds one open window of at most Window pairs
// and at most 16 closed windows not yet returned by Results.
//
// # Task
//
// With Config.Task "classification" the label and the prediction are
// classes: a category is its own class, a number is the class named by its
// shortest decimal form (1 and "1" are the same class, "1.0" is another).
// With "regression" both must be numbers.
//
// With "auto" (the default) each model version's task is decided by its
// labelled pairs, once and for all, by the first pair that settles it: a
// pair with a category (label or prediction) makes it a classification, a
// pair of numbers of which one is not integral a regression. Pairs of
// integral numbers settle nothing; a window that closes with only such
// pairs is evaluated as a classification. Once a version is a regression, a
// pair with a category is refused with ErrKindMismatch; once it is a
// classification, numbers are classes. Set the task explicitly for a
// regression on integers (counts), or a classification of numbers that
// may be fractional.
//
// # Windows
//
// A model version's window opens with its first labelled pair and closes
// when it holds Window pairs (in Label), or, when Duration is set, Duration
// after its first pair if it holds at least MinLabels (in Results; a smaller
// window stays open). A closed window gives one Result per metric (see
// ResultName) at the next Results, and becomes the version's Snapshot
// returned by Last. Labels of a version refused while a window is open are
// counted in its "refused" evidence. No label or prediction value appears in
// a Result.
package performance
