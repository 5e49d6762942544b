// Command mmdbench runs drift.MMDTest on the files written by
// bench/mmd_numpy.py gen, for bench/mmd.sh.
//
//	mmdbench DIR n m d B
package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: mmdbench DIR n m d B")
		os.Exit(2)
	}
	var arg [4]int
	for i, s := range os.Args[2:] {
		v, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mmdbench: argument %d: %v\n", i+2, err)
			os.Exit(2)
		}
		arg[i] = v
	}
	n, m, d, b := arg[0], arg[1], arg[2], arg[3]
	x, err := readF64(filepath.Join(os.Args[1], "x.f64"), n*d)
	if err == nil {
		var y []float64
		y, err = readF64(filepath.Join(os.Args[1], "y.f64"), m*d)
		if err == nil {
			t0 := time.Now()
			res := drift.MMDTest(x, y, d, 0, b, 1)
			secs := time.Since(t0).Seconds()
			fmt.Printf("statistic=%v sigma=%v p=%v seconds=%v\n", res.Statistic, res.Sigma, res.PValue, secs)
			return
		}
	}
	fmt.Fprintln(os.Stderr, "mmdbench:", err)
	os.Exit(1)
}

// readF64 reads want little-endian float64 values from path.
func readF64(path string, want int) ([]float64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read data: %w", err)
	}
	if len(raw) != 8*want {
		return nil, fmt.Errorf("%s: %d bytes, want %d", path, len(raw), 8*want)
	}
	v := make([]float64, want)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
	return v, nil
}
