package drift

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Panic messages for programmer errors in the MMD functions.
const (
	mmdBadDim   = "drift: MMD dimension d must be positive"
	mmdBadLen   = "drift: MMD sample length is not a multiple of d"
	mmdEmpty    = "drift: MMD needs at least one row in each sample"
	mmdFewRows  = "drift: MedianDistance needs at least two pooled rows"
	mmdBadSigma = "drift: MMD sigma must be a non-negative finite number"
	mmdBadPerms = "drift: MMD permutations must be non-negative"
)

// MMDResult is the outcome of MMDTest.
type MMDResult struct {
	Statistic    float64 // biased MMD² (V-statistic)
	PValue       float64 // (1 + #{permuted ≥ observed}) / (1 + B)
	Sigma        float64 // kernel bandwidth used
	Permutations int     // B
}

// MedianDistance returns the median of the pairwise Euclidean distances
// ‖a−b‖ over all unordered pairs of distinct rows of the pooled sample x ∪ y
// (the mean of the two middle values when their count is even). x is n×d and y
// is m×d, row-major flattened; either may be empty.
//
//	N = n + m,  P = N(N−1)/2,  D = sorted {‖z_i − z_j‖ : i < j}
//	MedianDistance = D[(P−1)/2]                    P odd
//	               = (D[P/2−1] + D[P/2]) / 2       P even
//
// It is the median heuristic for the bandwidth of the Gaussian kernel used by
// MMDTest. Duplicate rows count as pairs at distance 0, so the result is 0
// when more than half of the pairs are duplicates.
//
// MedianDistance allocates the P squared distances (4·N² bytes) and finds the
// middle values by an exact radix selection in O(P) time, without sorting; the
// work is spread over runtime.GOMAXPROCS goroutines. It panics if d <= 0, if a
// length is not a multiple of d, or if the pooled sample has fewer than two
// rows. The inputs must be finite.
//
// It matches numpy.median(scipy.spatial.distance.pdist(numpy.vstack([x, y]))).
func MedianDistance(x, y []float64, d int) float64 {
	n, m := mmdRows(x, d), mmdRows(y, d)
	if n+m < 2 {
		panic(mmdFewRows)
	}
	z := mmdPool(x, y)
	N := n + m
	buf := make([]float64, mmdPackedLen(N))
	workers := runtime.GOMAXPROCS(0)
	mmdSquaredDistances(buf, z, N, d, workers)
	return mmdMedian(buf[1:], workers)
}

// MMD2 returns the biased squared maximum mean discrepancy between x (n×d)
// and y (m×d), row-major flattened, with the Gaussian RBF kernel
// k(a,b) = exp(−‖a−b‖²/(2σ²)):
//
//	MMD² = 1/n² Σ_ij k(x_i,x_j) + 1/m² Σ_ij k(y_i,y_j) − 2/(nm) Σ_ij k(x_i,y_j)
//
// with the diagonal terms k(x_i,x_i) = 1 included (the V-statistic). It is
// symmetric in x and y and non-negative up to rounding.
//
// Special cases: sigma = 0 uses the limit of the kernel as σ → 0, the
// indicator k(a,b) = 1 if a = b and 0 otherwise; in particular MMD² = 0 when
// every pooled row is the same. MMD2 panics if n or m is 0, if d <= 0, if a
// length is not a multiple of d, or if sigma is negative, infinite or NaN.
//
// MMD2 computes the kernel directly in O((n+m)²·d) time on one goroutine and
// allocates nothing. It matches, to 1e-9 relative in the tests, the numpy
// computation
//
//	k = lambda a, b: np.exp(-cdist(a, b, "sqeuclidean") / (2 * sigma**2))
//	k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()
func MMD2(x, y []float64, d int, sigma float64) float64 {
	n, m := mmdRows(x, d), mmdRows(y, d)
	if n == 0 || m == 0 {
		panic(mmdEmpty)
	}
	mmdCheckSigma(sigma)
	kern := mmdKernelFunc(sigma)
	self := func(a []float64, rows int) float64 {
		s := float64(rows) // diagonal
		for i := 0; i < rows; i++ {
			ai := a[i*d : i*d+d]
			for j := i + 1; j < rows; j++ {
				s += 2 * kern(mmdSqDist(ai, a[j*d:j*d+d]))
			}
		}
		return s
	}
	sxx := self(x, n)
	syy := self(y, m)
	var sxy float64
	for i := 0; i < n; i++ {
		xi := x[i*d : i*d+d]
		for j := 0; j < m; j++ {
			sxy += kern(mmdSqDist(xi, y[j*d:j*d+d]))
		}
	}
	fn, fm := float64(n), float64(m)
	return sxx/(fn*fn) + syy/(fm*fm) - 2*sxy/(fn*fm)
}

// MMDTest is the kernel two-sample test of Gretton et al. (2012) with a
// permutation p-value. It computes the biased MMD² of MMD2 between x (n×d) and
// y (m×d) with the Gaussian kernel of bandwidth sigma, or, when sigma <= 0, of
// bandwidth MedianDistance(x, y, d) (the median heuristic). It then relabels
// the pooled rows B = permutations times, drawing each time a uniformly random
// split into groups of sizes n and m, and reports
//
//	p = (1 + #{b : MMD²_b ≥ MMD²_observed}) / (1 + B)
//
// The splits are drawn sequentially from math/rand/v2's PCG generator seeded
// with rand.NewPCG(seed, 0), then evaluated in parallel over
// runtime.GOMAXPROCS goroutines; every floating-point sum is taken in an order
// that does not depend on the number of goroutines, so the result is a pure
// function of the arguments, whatever GOMAXPROCS is. The observed statistic is computed with the same
// arithmetic as the permuted ones, so ties compare exactly; it equals
// MMD2(x, y, d, Sigma) up to rounding.
//
// Special cases: a median distance of 0 (for example, every pooled row the
// same) gives Sigma = 0, which uses the indicator kernel described in MMD2;
// when every pooled row is the same this yields Statistic = 0 and PValue = 1.
// B = 0 gives PValue = 1. MMDTest panics if n or m is 0, if d <= 0, if a length
// is not a multiple of d, if sigma is infinite or NaN, or if permutations < 0.
//
// Cost and memory: MMDTest stores the upper triangle of the pooled
// (n+m)×(n+m) kernel matrix, 4·(n+m)² bytes (the full matrix would be twice
// that), plus B·(n+m)/8 bytes for the splits. 2,000 + 2,000 rows take 64 MB;
// callers subsample larger windows. Building the matrix costs O((n+m)²·d) and
// each permutation O(min(n,m)²/2), since with a the indicator of one group,
// r the row sums of K and T their total,
//
//	Σ_xx = aᵀKa,  Σ_yy = T − 2aᵀr + aᵀKa,  Σ_xy = aᵀr − aᵀKa.
//
// The statistic matches the numpy reference in MMD2 with
// sigma = numpy.median(pdist(numpy.vstack([x, y]))); the p-value follows the
// permutation scheme of alibi-detect's MMDDrift with the biased estimator, but
// with a different random generator, so only its distribution is comparable.
func MMDTest(x, y []float64, d int, sigma float64, permutations int, seed uint64) MMDResult {
	return mmdTest(x, y, d, sigma, permutations, seed, func() {})
}

// mmdTest is MMDTest calling yield between its phases and between batches
// of permutations (see Options.Yield).
func mmdTest(x, y []float64, d int, sigma float64, permutations int, seed uint64, yield func()) MMDResult {
	n, m := mmdRows(x, d), mmdRows(y, d)
	if n == 0 || m == 0 {
		panic(mmdEmpty)
	}
	if math.IsNaN(sigma) || math.IsInf(sigma, 0) {
		panic(mmdBadSigma)
	}
	if permutations < 0 {
		panic(mmdBadPerms)
	}
	N := n + m
	workers := runtime.GOMAXPROCS(0)
	z := mmdPool(x, y)
	k := make([]float64, mmdPackedLen(N))
	if sigma <= 0 {
		mmdSquaredDistances(k, z, N, d, workers)
		yield()
		sigma = mmdMedian(k[1:], workers)
		yield()
		mmdApplyKernel(k, N, sigma, workers)
	} else {
		mmdKernelMatrix(k, z, N, d, sigma, workers)
	}
	yield()
	r, total := mmdRowSums(k, N, workers)
	yield()

	// Work on the smaller group G (size s); the statistic is symmetric.
	s, gStart := n, 0
	if m < n {
		s, gStart = m, n
	}
	stat := func(upper, ar float64) float64 {
		sgg := float64(s) + 2*upper
		shh := total - 2*ar + sgg
		sgh := ar - sgg
		sxx, syy := sgg, shh
		if gStart != 0 {
			sxx, syy = shh, sgg
		}
		fn, fm := float64(n), float64(m)
		return sxx/(fn*fn) + syy/(fm*fm) - 2*sgh/(fn*fm)
	}

	obsIdx := make([]int32, s)
	for i := range obsIdx {
		obsIdx[i] = int32(gStart + i)
	}
	observed := stat(mmdUpperSum(k, N, obsIdx), mmdDot(r, obsIdx))

	masks := mmdDrawSplits(N, s, permutations, seed)
	words := (N + 63) / 64
	perm := make([]float64, permutations)
	mmdEvalSplits(k, N, s, masks, words, permutations, workers, func(b int, upper float64, idx []int32) {
		perm[b] = stat(upper, mmdDot(r, idx))
		if b%mmdBatch == mmdBatch-1 {
			yield()
		}
	})

	count := 1
	for _, v := range perm {
		if v >= observed {
			count++
		}
	}
	return MMDResult{
		Statistic:    observed,
		PValue:       float64(count) / float64(1+permutations),
		Sigma:        sigma,
		Permutations: permutations,
	}
}

// mmdRows returns the number of rows of a, panicking on a bad shape.
func mmdRows(a []float64, d int) int {
	if d <= 0 {
		panic(mmdBadDim)
	}
	if len(a)%d != 0 {
		panic(mmdBadLen)
	}
	return len(a) / d
}

func mmdCheckSigma(sigma float64) {
	if !(sigma >= 0) || math.IsInf(sigma, 0) {
		panic(mmdBadSigma)
	}
}

// mmdPool returns x followed by y in a new slice.
func mmdPool(x, y []float64) []float64 {
	z := make([]float64, 0, len(x)+len(y))
	return append(append(z, x...), y...)
}

// mmdKernelFunc returns k as a function of the squared distance.
func mmdKernelFunc(sigma float64) func(float64) float64 {
	if sigma == 0 {
		return mmdIndicator
	}
	c := -1 / (2 * sigma * sigma)
	return func(d2 float64) float64 { return math.Exp(d2 * c) }
}

func mmdIndicator(d2 float64) float64 {
	if d2 == 0 {
		return 1
	}
	return 0
}

func mmdSqDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for i, v := range a {
		t := v - b[i]
		s += t * t
	}
	return s
}

// The packed upper triangle of an N×N symmetric matrix with unit diagonal is
// stored in a slice of length 1 + N(N−1)/2; element (i, j), i < j, lives at
// mmdRowBase(i, N) + j. The leading pad makes the base non-negative, so
// k[base : base+N] is a valid row view indexed by column.
func mmdPackedLen(N int) int { return 1 + N*(N-1)/2 }

func mmdRowBase(i, N int) int { return i*(2*N-i-1)/2 - i }

// mmdParallel calls fn(lo, hi) on consecutive chunks of [0, n) of the given
// size, handed out dynamically to workers goroutines. fn must write only state
// owned by its chunk, so the outcome does not depend on the scheduling.
func mmdParallel(n, chunk, workers int, fn func(lo, hi int)) {
	if workers <= 1 || n <= chunk {
		for lo := 0; lo < n; lo += chunk {
			fn(lo, min(lo+chunk, n))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				fn(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}

// mmdRowChunk returns a chunk of rows of the packed triangle holding about
// 64k entries, so that chunks balance although rows shrink.
func mmdRowChunk(N int) int { return max(1, (1<<16)/max(N, 1)) }

// mmdSquaredDistances fills the packed triangle k with ‖z_i − z_j‖².
func mmdSquaredDistances(k, z []float64, N, d, workers int) {
	mmdParallel(N, mmdRowChunk(N), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			base := mmdRowBase(i, N)
			zi := z[i*d : i*d+d]
			row := k[base+i+1 : base+N]
			for j := range row {
				row[j] = mmdSqDist(zi, z[(i+1+j)*d:(i+2+j)*d])
			}
		}
	})
}

// mmdKernelMatrix fills the packed triangle k with the kernel values.
func mmdKernelMatrix(k, z []float64, N, d int, sigma float64, workers int) {
	kern := mmdKernelFunc(sigma)
	mmdParallel(N, mmdRowChunk(N), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			base := mmdRowBase(i, N)
			zi := z[i*d : i*d+d]
			row := k[base+i+1 : base+N]
			for j := range row {
				row[j] = kern(mmdSqDist(zi, z[(i+1+j)*d:(i+2+j)*d]))
			}
		}
	})
}

// mmdApplyKernel turns the squared distances in k into kernel values in place.
func mmdApplyKernel(k []float64, N int, sigma float64, workers int) {
	kern := mmdKernelFunc(sigma)
	body := k[1:]
	mmdParallel(len(body), 1<<16, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			body[i] = kern(body[i])
		}
	})
}

// mmdRowSums returns r_i = Σ_j K_ij over the full symmetric matrix (unit
// diagonal included) and T = Σ_i r_i. Each r_i is summed in a fixed order
// (columns j < i ascending, then j > i ascending), so the result does not
// depend on workers.
func mmdRowSums(k []float64, N, workers int) ([]float64, float64) {
	r := make([]float64, N)
	col := make([]float64, N) // Σ_{j<i} K_ji
	const width = 256
	nblk := (N + width - 1) / width
	mmdParallel(nblk, 1, workers, func(lo, hi int) {
		for blk := lo; blk < hi; blk++ {
			c0, c1 := blk*width, min(blk*width+width, N)
			acc := col[c0:c1]
			for j := 0; j < c1-1; j++ {
				base := mmdRowBase(j, N)
				from := max(c0, j+1)
				seg := k[base+from : base+c1]
				dst := acc[from-c0:]
				for t, v := range seg {
					dst[t] += v
				}
			}
		}
	})
	mmdParallel(N, mmdRowChunk(N), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			base := mmdRowBase(i, N)
			var s float64
			for _, v := range k[base+i+1 : base+N] {
				s += v
			}
			r[i] = 1 + col[i] + s
		}
	})
	var total float64
	for _, v := range r {
		total += v
	}
	return r, total
}

// mmdMedian returns the median of a (non-negative, finite) by radix selection.
// It does not modify a.
func mmdMedian(a []float64, workers int) float64 {
	p := len(a)
	if p%2 == 1 {
		return math.Sqrt(mmdSelect(a, p/2, workers))
	}
	lo := mmdSelect(a, p/2-1, workers)
	hi := mmdSelect(a, p/2, workers)
	return (math.Sqrt(lo) + math.Sqrt(hi)) / 2
}

// mmdSelect returns the k-th smallest (0-based) of the non-negative values in
// a without modifying a. It narrows the IEEE bit pattern 16 bits at a time with parallel histograms
// (non-negative floats order like their bits), then sorts the few survivors.
func mmdSelect(a []float64, k, workers int) float64 {
	const (
		radix   = 16
		buckets = 1 << radix
		small   = 1 << 12
	)
	if len(a) <= small {
		return mmdSortedCopy(a)[k]
	}
	var prefix, mask uint64
	chunk := max(1<<16, (len(a)+workers-1)/workers)
	nchunks := (len(a) + chunk - 1) / chunk
	hists := make([][]int, nchunks)
	for shift := 64 - radix; shift >= 0; shift -= radix {
		mmdParallel(nchunks, 1, workers, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				h := hists[c]
				if h == nil {
					h = make([]int, buckets)
					hists[c] = h
				} else {
					clear(h)
				}
				for _, v := range a[c*chunk : min(c*chunk+chunk, len(a))] {
					b := math.Float64bits(v)
					if b&mask == prefix {
						h[(b>>shift)&(buckets-1)]++
					}
				}
			}
		})
		var below, bucket, count int
		for bucket = 0; bucket < buckets; bucket++ {
			count = 0
			for _, h := range hists {
				count += h[bucket]
			}
			if below+count > k {
				break
			}
			below += count
		}
		k -= below
		prefix |= uint64(bucket) << shift
		mask |= uint64(buckets-1) << shift
		if count <= small && shift > 0 {
			survivors := make([]float64, 0, count)
			for _, v := range a {
				if math.Float64bits(v)&mask == prefix {
					survivors = append(survivors, v)
				}
			}
			return mmdSortedCopy(survivors)[k]
		}
	}
	return math.Float64frombits(prefix)
}

// mmdSortedCopy returns a sorted copy of a.
func mmdSortedCopy(a []float64) []float64 {
	c := slices.Clone(a)
	slices.Sort(c)
	return c
}

// mmdDot returns Σ r[idx[l]] in index order.
func mmdDot(r []float64, idx []int32) float64 {
	var s float64
	for _, i := range idx {
		s += r[i]
	}
	return s
}

// mmdDrawSplits draws count random s-subsets of [0, N) by partial
// Fisher–Yates shuffles of one running permutation, sequentially from the
// seed, and returns them as bitsets of (N+63)/64 words each.
func mmdDrawSplits(N, s, count int, seed uint64) []uint64 {
	words := (N + 63) / 64
	masks := make([]uint64, count*words)
	rng := rand.New(rand.NewPCG(seed, 0))
	p := make([]int32, N)
	for i := range p {
		p[i] = int32(i)
	}
	for b := range count {
		w := masks[b*words : (b+1)*words]
		for i := range s {
			j := i + rng.IntN(N-i)
			p[i], p[j] = p[j], p[i]
			w[p[i]>>6] |= 1 << (uint(p[i]) & 63)
		}
	}
	return masks
}

// mmdBatch is the number of splits evaluated together per pass over the
// kernel matrix: each row is loaded once and reused from cache by all of
// them. Fixed so that results do not depend on the scheduling.
const mmdBatch = 16

// mmdEvalSplits computes, for every split b, the strict upper-triangle sum
// U_b = Σ_{i<j both in split b} K_ij and calls done(b, U_b, indices) from the
// goroutine that computed it. Each U_b is summed in the same order whatever
// the number of workers.
func mmdEvalSplits(k []float64, N, s int, masks []uint64, words, count, workers int, done func(b int, upper float64, idx []int32)) {
	nbatch := (count + mmdBatch - 1) / mmdBatch
	mmdParallel(nbatch, 1, workers, func(lo, hi int) {
		idx := make([][]int32, mmdBatch)
		for t := range idx {
			idx[t] = make([]int32, 0, s)
		}
		var pos [mmdBatch]int
		var sum [mmdBatch]float64
		for bt := lo; bt < hi; bt++ {
			b0, b1 := bt*mmdBatch, min(bt*mmdBatch+mmdBatch, count)
			nb := b1 - b0
			for t := range nb {
				idx[t] = mmdBits(idx[t][:0], masks[(b0+t)*words:(b0+t+1)*words])
				pos[t], sum[t] = 0, 0
			}
			for i := 0; i < N-1; i++ {
				var row []float64
				for t := range nb {
					g := idx[t]
					if pos[t] >= len(g) || int(g[pos[t]]) != i {
						continue
					}
					pos[t]++
					if row == nil {
						base := mmdRowBase(i, N)
						row = k[base : base+N]
					}
					sum[t] += mmdGather(row, g[pos[t]:])
				}
			}
			for t := range nb {
				done(b0+t, sum[t], idx[t])
			}
		}
	})
}

// mmdUpperSum returns Σ_{l<q} K[idx_l][idx_q] for ascending idx, in the same
// order as mmdEvalSplits.
func mmdUpperSum(k []float64, N int, idx []int32) float64 {
	var s float64
	for l, i := range idx {
		base := mmdRowBase(int(i), N)
		s += mmdGather(k[base:base+N], idx[l+1:])
	}
	return s
}

// mmdBits appends the positions of the set bits of w in ascending order.
func mmdBits(dst []int32, w []uint64) []int32 {
	for wi, v := range w {
		for v != 0 {
			dst = append(dst, int32(wi<<6+bits.TrailingZeros64(v)))
			v &= v - 1
		}
	}
	return dst
}

// mmdGather returns Σ row[idx[l]] with four accumulators in a fixed order.
func mmdGather(row []float64, idx []int32) float64 {
	var s0, s1, s2, s3 float64
	l := 0
	for ; l+4 <= len(idx); l += 4 {
		s0 += row[idx[l]]
		s1 += row[idx[l+1]]
		s2 += row[idx[l+2]]
		s3 += row[idx[l+3]]
	}
	for ; l < len(idx); l++ {
		s0 += row[idx[l]]
	}
	return (s0 + s1) + (s2 + s3)
}
