package drift

import (
	"math"
	"slices"
)

// numericSummary bins sorted x and y on histogramBins equal-width bins that
// span the pooled 0.5% to 99.5% quantiles; values outside fall into the
// outer bins, so a few extreme values do not squash the picture.
func numericSummary(x, y []float64) *Summary {
	lo := min(sortedQuantile(x, 0.005), sortedQuantile(y, 0.005))
	hi := max(sortedQuantile(x, 0.995), sortedQuantile(y, 0.995))
	if !(hi > lo) {
		w := max(math.Abs(lo)*0.05, 0.5)
		lo, hi = lo-w, hi+w
	}
	edges := make([]float64, histogramBins+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/histogramBins
	}
	inner := edges[1:histogramBins]
	return &Summary{
		Edges:     edges,
		Reference: shares(BinCounts(nil, x, inner)),
		Current:   shares(BinCounts(nil, y, inner)),
	}
}

// categorySummary keeps the maxCategoryBars categories with the largest
// pooled counts, in that order, and folds the rest into "(other)".
func categorySummary(labels []string, rc, cc []float64) *Summary {
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		// Descending pooled count; the labels are sorted, so ties keep name order.
		return cmpFloat(rc[b]+cc[b], rc[a]+cc[a])
	})
	s := &Summary{}
	var ro, co float64
	for k, i := range order {
		if k >= maxCategoryBars {
			ro += rc[i]
			co += cc[i]
			continue
		}
		s.Labels = append(s.Labels, labels[i])
		s.Reference = append(s.Reference, rc[i])
		s.Current = append(s.Current, cc[i])
	}
	if len(order) > maxCategoryBars {
		s.Labels = append(s.Labels, "(other)")
		s.Reference = append(s.Reference, ro)
		s.Current = append(s.Current, co)
	}
	rs, cs := sum(rc), sum(cc)
	for i := range s.Reference {
		s.Reference[i] /= rs
		s.Current[i] /= cs
	}
	return s
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
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

// sortedQuantile returns the q-quantile of sorted x by linear interpolation
// between closest ranks (numpy's default).
func sortedQuantile(x []float64, q float64) float64 {
	h := q * float64(len(x)-1)
	i := int(h)
	if i+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[i] + (h-float64(i))*(x[i+1]-x[i])
}
