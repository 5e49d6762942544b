package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Size is a number of bytes. In YAML it is an integer (negative values are
// kept: some fields give them a meaning) or a string of a non-negative
// integer and a unit: B, kB or KB, MB, GB (powers of 1000) or KiB, MiB, GiB
// (powers of 1024), e.g. "64KiB" or "1 MiB".
type Size int64

var sizeUnits = map[string]int64{
	"B":   1,
	"kB":  1000,
	"KB":  1000,
	"MB":  1000 * 1000,
	"GB":  1000 * 1000 * 1000,
	"KiB": 1 << 10,
	"MiB": 1 << 20,
	"GiB": 1 << 30,
}

// ParseSize parses an integer with an optional unit, as Size describes.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mul, ok := sizeUnits[unit]
	if unit == "" {
		mul, ok = 1, true
	}
	if num == "" || !ok {
		return 0, fmt.Errorf("invalid size %q (want bytes, or a whole number with a unit: B, KB, MB, GB, KiB, MiB, GiB)", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > math.MaxInt64/mul {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(n * mul), nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a size such as 1048576 or 1MiB, got a %s", kindName(n))
	}
	if n.ShortTag() == "!!int" {
		var i int64
		if err := n.Decode(&i); err != nil {
			return fmt.Errorf("size %s is out of range", n.Value)
		}
		*s = Size(i)
		return nil
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// String formats s with the largest binary unit that divides it exactly.
func (s Size) String() string {
	for _, u := range []string{"GiB", "MiB", "KiB"} {
		if m := sizeUnits[u]; s != 0 && int64(s)%m == 0 {
			return strconv.FormatInt(int64(s)/m, 10) + u
		}
	}
	return strconv.FormatInt(int64(s), 10) + "B"
}
