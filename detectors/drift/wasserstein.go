package drift

import "math"

// Wasserstein returns the 1-Wasserstein (earth mover's) distance between the
// empirical distributions of the samples x and y, the area between their
// empirical distribution functions F_x and F_y:
//
//	W1 = ∫ |F_x(t) − F_y(t)| dt
//
// computed exactly as a sum over the intervals between consecutive distinct
// values of the merged samples, on each of which both functions are constant:
//
//	W1 = Σ_k |i_k/n − j_k/m| · (v_{k+1} − v_k)
//
// where i_k and j_k count the values of x and y that are ≤ v_k. The count
// difference |i_k·m − j_k·n| is formed in integers and divided by n·m once,
// so ties (within or across samples) and unequal sizes cost no precision. W1
// is symmetric, in the units of the data, and shift-equivariant: adding c to
// every value of y alone changes it by at most |c|, and by exactly |c| when x
// and y are otherwise equal.
//
// x and y must be sorted ascending, finite and free of NaN. If either is
// empty the distance is undefined and Wasserstein returns NaN (scipy raises).
// It runs in O(n+m) time and does not allocate.
//
// It matches scipy.stats.wasserstein_distance(x, y) without weights.
func Wasserstein(x, y []float64) float64 {
	n, m := len(x), len(y)
	if n == 0 || m == 0 {
		return math.NaN()
	}
	var (
		sum  float64
		i, j int
		prev float64
	)
	for i < n || j < m {
		var v float64
		if j >= m || (i < n && x[i] <= y[j]) {
			v = x[i]
		} else {
			v = y[j]
		}
		if i > 0 || j > 0 {
			d := i*m - j*n
			if d < 0 {
				d = -d
			}
			sum += float64(d) * (v - prev)
		}
		for i < n && x[i] == v {
			i++
		}
		for j < m && y[j] == v {
			j++
		}
		prev = v
	}
	return sum / (float64(n) * float64(m))
}
