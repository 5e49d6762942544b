package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquet-go sizes its allocations by the lengths that a file declares (the
// footer length, thrift string and list lengths, page sizes) before it reads
// the bytes, so a corrupt file of a few bytes can make it allocate gigabytes.
// This file checks those lengths against the actual bytes first:
// checkFooter before parquet.OpenFile, and checkPages before any page is
// read. FuzzReadParquet found these cases.

// Limits on what one page may declare.
const (
	maxPageBytes  = 1 << 27 // uncompressed page size
	maxPageValues = 1 << 24
	maxThriftNest = 64
)

var errThrift = errors.New("corrupt thrift metadata")

// checkFooter checks the magic bytes, the footer length and the footer's
// thrift encoding.
func checkFooter(data []byte) error {
	const magic = "PAR1"
	if len(data) < 12 || string(data[:4]) != magic || string(data[len(data)-4:]) != magic {
		return errors.New("missing PAR1 magic bytes (encrypted files are not supported)")
	}
	n := int64(binary.LittleEndian.Uint32(data[len(data)-8:]))
	if n > int64(len(data)-12) {
		return fmt.Errorf("footer length %d exceeds the file", n)
	}
	if _, err := walkThrift(data[len(data)-8-int(n):len(data)-8], 12, 0); err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	return nil
}

// checkPages walks the page headers of every column chunk.
func checkPages(data []byte, md *format.FileMetaData) error {
	for _, rg := range md.RowGroups {
		for _, cc := range rg.Columns {
			m := &cc.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset != 0 {
				start = m.DictionaryPageOffset
			}
			end := start + m.TotalCompressedSize
			if start < 0 || m.TotalCompressedSize < 0 || end > int64(len(data)) || end < start {
				return fmt.Errorf("column chunk at offset %d of size %d exceeds the file", start, m.TotalCompressedSize)
			}
			for off := start; off < end; {
				b := data[off:end]
				n, err := walkThrift(b, 12, 0)
				if err != nil {
					return fmt.Errorf("page header at offset %d: %w", off, err)
				}
				var h format.PageHeader
				if err := thrift.Unmarshal(new(thrift.CompactProtocol), b[:n], &h); err != nil {
					return fmt.Errorf("page header at offset %d: %w", off, err)
				}
				size := int64(h.CompressedPageSize)
				if size < 0 || off+int64(n)+size > end {
					return fmt.Errorf("page at offset %d: compressed size %d exceeds the column chunk", off, size)
				}
				if h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes {
					return fmt.Errorf("page at offset %d: uncompressed size %d is out of range", off, h.UncompressedPageSize)
				}
				values := int32(0)
				switch {
				case h.DataPageHeader.Valid:
					values = h.DataPageHeader.V.NumValues
				case h.DataPageHeaderV2.Valid:
					values = h.DataPageHeaderV2.V.NumValues
				case h.DictionaryPageHeader.Valid:
					values = h.DictionaryPageHeader.V.NumValues
				}
				if values < 0 || values > maxPageValues {
					return fmt.Errorf("page at offset %d: %d values is out of range", off, values)
				}
				off += int64(n) + size
			}
		}
	}
	return nil
}

// walkThrift checks one thrift compact-protocol value of type typ at the
// start of b and returns its length. Every declared length or count must fit
// in the bytes left (each element takes at least one byte).
func walkThrift(b []byte, typ byte, depth int) (int, error) {
	if depth > maxThriftNest {
		return 0, fmt.Errorf("%w: nested too deeply", errThrift)
	}
	uvarint := func(at int) (uint64, int, error) {
		v, n := binary.Uvarint(b[min(at, len(b)):])
		if n <= 0 {
			return 0, 0, fmt.Errorf("%w: bad varint", errThrift)
		}
		return v, at + n, nil
	}
	switch typ {
	case 1, 2: // booleans in a list: one byte
		if len(b) < 1 {
			return 0, fmt.Errorf("%w: truncated", errThrift)
		}
		return 1, nil
	case 3:
		if len(b) < 1 {
			return 0, fmt.Errorf("%w: truncated", errThrift)
		}
		return 1, nil
	case 4, 5, 6:
		_, n, err := uvarint(0)
		return n, err
	case 7:
		if len(b) < 8 {
			return 0, fmt.Errorf("%w: truncated", errThrift)
		}
		return 8, nil
	case 8:
		l, n, err := uvarint(0)
		if err != nil {
			return 0, err
		}
		if l > uint64(len(b)-n) {
			return 0, fmt.Errorf("%w: length %d exceeds the data", errThrift, l)
		}
		return n + int(l), nil
	case 9, 10:
		if len(b) < 1 {
			return 0, fmt.Errorf("%w: truncated", errThrift)
		}
		size, elem, at := uint64(b[0]>>4), b[0]&0xF, 1
		if size == 15 {
			var err error
			if size, at, err = uvarint(1); err != nil {
				return 0, err
			}
		}
		if size > uint64(len(b)-at) {
			return 0, fmt.Errorf("%w: list of %d exceeds the data", errThrift, size)
		}
		for range size {
			n, err := walkThrift(b[at:], elem, depth+1)
			if err != nil {
				return 0, err
			}
			at += n
		}
		return at, nil
	case 11:
		size, at, err := uvarint(0)
		if err != nil {
			return 0, err
		}
		if size == 0 {
			return at, nil
		}
		if at >= len(b) || size > uint64(len(b)-at) {
			return 0, fmt.Errorf("%w: map of %d exceeds the data", errThrift, size)
		}
		kt, vt := b[at]>>4, b[at]&0xF
		at++
		for range size {
			for _, t := range [2]byte{kt, vt} {
				n, err := walkThrift(b[at:], t, depth+1)
				if err != nil {
					return 0, err
				}
				at += n
			}
		}
		return at, nil
	case 12:
		at := 0
		for {
			if at >= len(b) {
				return 0, fmt.Errorf("%w: truncated struct", errThrift)
			}
			h := b[at]
			at++
			if h == 0 {
				return at, nil
			}
			if h>>4 == 0 { // the field id follows as a zigzag varint
				var err error
				if _, at, err = uvarint(at); err != nil {
					return 0, err
				}
			}
			switch t := h & 0xF; t {
			case 1, 2: // booleans are in the header
			default:
				n, err := walkThrift(b[at:], t, depth+1)
				if err != nil {
					return 0, err
				}
				at += n
			}
		}
	}
	return 0, fmt.Errorf("%w: unknown type %d", errThrift, typ)
}
