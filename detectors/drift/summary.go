package drift

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// numericSummary bins sorted x and y on histogramBins equal-width bins that
// span the pooled 0.5% to 99.5% quantiles; values outside fall into the
// outer bins, so a few extreme values do not squash the picture.
func numericSummary(x, y []float64) *Summary {
	lo := min(distQuantile7(x, 0.005), distQuantile7(y, 0.005))
	hi := max(distQuantile7(x, 0.995), distQuantile7(y, 0.995))
	if !(hi > lo) {
		w := max(math.Abs(lo)*0.05, 0.5)
		lo, hi = lo-w, hi+w
	}
	edges := make([]float64, histogramBins+1)
	step := hi/histogramBins - lo/histogramBins // no overflow near ±MaxFloat64
	for i := range edges {
		edges[i] = lo + step*float64(i)
	}
	edges[histogramBins] = hi
	inner := edges[1:histogramBins]
	return &Summary{
		Edges:     edges,
		Reference: shares(BinCounts(nil, x, inner)),
		Current:   shares(BinCounts(nil, y, inner)),
	}
}

// categorySummary returns the shares of every category, or, past
// maxCategoryBars categories, of the maxCategoryBars−1 with the largest
// share in either sample (so a category that only the current data has
// many of is shown) and one "other (k)" bar for the k others.
func categorySummary(labels []string, rc, cc []float64) *Summary {
	rs, cs := sum(rc), sum(cc)
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	share := func(i int) float64 { return max(rc[i]/rs, cc[i]/cs) }
	if len(labels) > maxCategoryBars {
		// Largest first; labels are sorted, so ties keep name order.
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(share(b), share(a)) })
	}
	s := &Summary{}
	var ro, co float64
	for k, i := range order {
		if len(labels) > maxCategoryBars && k >= maxCategoryBars-1 {
			ro += rc[i]
			co += cc[i]
			continue
		}
		s.Labels = append(s.Labels, labels[i])
		s.Reference = append(s.Reference, rc[i]/rs)
		s.Current = append(s.Current, cc[i]/cs)
	}
	if len(labels) > maxCategoryBars {
		s.Labels = append(s.Labels, fmt.Sprintf("other (%d)", len(labels)-maxCategoryBars+1))
		s.Reference = append(s.Reference, ro/rs)
		s.Current = append(s.Current, co/cs)
	}
	return s
}

// shares divides counts by their total in place.
func shares(c []float64) []float64 {
	t := sum(c)
	if t > 0 {
		for i := range c {
			c[i] /= t
		}
	}
	return c
}
