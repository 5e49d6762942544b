package payload

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Bounds of strCache: when a map is full it is cleared, so that a stream of
// distinct values (free text, ids) costs allocations but never memory.
const (
	maxInternLen = 64      // longer strings are not interned
	maxInterned  = 4096    // entries of strCache.m
	maxIndexed   = 1 << 16 // names held by strCache.idx, over all bases
)

// strCache interns the short strings of payloads (feature names, model
// names, categories) and caches generated column names, so that decoding a
// steady stream of similar exchanges allocates no strings.
type strCache struct {
	mu       sync.RWMutex
	m        map[string]string
	idx      map[string][]string
	idxNames int // sum of the lengths in idx
}

func (c *strCache) init() {
	c.m = make(map[string]string)
	c.idx = make(map[string][]string)
}

// intern returns string(b), shared with earlier calls when b is short.
// Invalid UTF-8 becomes U+FFFD, as encoding/json does.
func (c *strCache) intern(b []byte) string {
	if !utf8.Valid(b) {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	if len(b) > maxInternLen {
		return string(b)
	}
	c.mu.RLock()
	s, ok := c.m[string(b)]
	c.mu.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	c.mu.Lock()
	if len(c.m) >= maxInterned {
		clear(c.m)
	}
	c.m[s] = s
	c.mu.Unlock()
	return s
}

// indexed returns at least n column names base[0], base[1], …, or f0, f1, …
// when base is empty. The result is shared: callers must not modify it.
func (c *strCache) indexed(base string, n int) []string {
	c.mu.RLock()
	names := c.idx[base]
	c.mu.RUnlock()
	if len(names) >= n {
		return names[:n]
	}
	names = make([]string, n)
	for i := range names {
		if base == "" {
			names[i] = "f" + strconv.Itoa(i)
		} else {
			names[i] = base + "[" + strconv.Itoa(i) + "]"
		}
	}
	if n <= maxIndexed {
		c.mu.Lock()
		if old := len(c.idx[base]); old < n {
			if c.idxNames+n-old > maxIndexed {
				clear(c.idx)
				c.idxNames, old = 0, 0
			}
			c.idx[base] = names
			c.idxNames += n - old
		}
		c.mu.Unlock()
	}
	return names
}
