package flvtest

// A minimal MP4 reader: enough to take one video track's decoder
// configuration box and samples from the files FFmpeg writes.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

var errShort = errors.New("truncated box")

// boxes calls fn with the type and payload of each box in b.
func boxes(b []byte, fn func(typ string, payload []byte) error) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return errShort
		}
		size, typ := binary.BigEndian.Uint32(b), string(b[4:8])
		hdr := 8
		n := uint64(size)
		switch size {
		case 0:
			n = uint64(len(b))
		case 1:
			if len(b) < 16 {
				return errShort
			}
			n, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if n < uint64(hdr) || n > uint64(len(b)) {
			return fmt.Errorf("box %q of %d bytes in %d", typ, n, len(b))
		}
		if err := fn(typ, b[hdr:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// child returns the payload of the first box of type typ along path.
func child(b []byte, path ...string) ([]byte, error) {
	for _, typ := range path {
		var found []byte
		err := boxes(b, func(t string, p []byte) error {
			if t == typ && found == nil {
				found = p
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if found == nil {
			return nil, fmt.Errorf("no %q box", typ)
		}
		b = found
	}
	return b, nil
}

// table returns the entries of a full box holding a 32-bit entry count
// and entries of width 32-bit words each.
func table(b []byte, skip, width int) ([][]uint32, error) {
	if len(b) < 4+skip+4 {
		return nil, errShort
	}
	b = b[4+skip:]
	n := int(binary.BigEndian.Uint32(b))
	b = b[4:]
	if n > len(b)/(4*width) {
		return nil, errShort
	}
	out := make([][]uint32, n)
	for i := range out {
		for j := range width {
			out[i] = append(out[i], binary.BigEndian.Uint32(b[4*(i*width+j):]))
		}
	}
	return out, nil
}

// parseMP4 returns the payload of the box cfgBox inside the sample entry
// entry of the file's first track, the track's samples (copies), and which
// samples are sync samples (nil: all).
func parseMP4(file []byte, entry, cfgBox string) (rec []byte, samples [][]byte, keys []bool, err error) {
	stbl, err := child(file, "moov", "trak", "mdia", "minf", "stbl")
	if err != nil {
		return nil, nil, nil, err
	}
	stsd, err := child(stbl, "stsd")
	if err != nil {
		return nil, nil, nil, err
	}
	if len(stsd) < 8 {
		return nil, nil, nil, errShort
	}
	se, err := child(stsd[8:], entry)
	if err != nil {
		return nil, nil, nil, err
	}
	const visualSampleEntry = 78
	if len(se) < visualSampleEntry {
		return nil, nil, nil, errShort
	}
	if rec, err = child(se[visualSampleEntry:], cfgBox); err != nil {
		return nil, nil, nil, err
	}
	rec = slices.Clone(rec)

	stsz, err := child(stbl, "stsz")
	if err != nil {
		return nil, nil, nil, err
	}
	if len(stsz) < 8 || binary.BigEndian.Uint32(stsz[4:]) != 0 {
		return nil, nil, nil, errors.New("stsz without a size per sample")
	}
	sizes, err := table(stsz, 4, 1)
	if err != nil {
		return nil, nil, nil, err
	}
	var stco, stsc [][]uint32
	for _, t := range []struct {
		name  string
		dst   *[][]uint32
		width int
	}{{"stco", &stco, 1}, {"stsc", &stsc, 3}} {
		b, err := child(stbl, t.name)
		if err != nil {
			return nil, nil, nil, err
		}
		if *t.dst, err = table(b, 0, t.width); err != nil {
			return nil, nil, nil, err
		}
	}

	// Chunks hold runs of samples, their sizes from stsc.
	next := 0
	for c, off := range stco {
		perChunk := 0
		for _, e := range stsc {
			if int(e[0]) <= c+1 {
				perChunk = int(e[1])
			}
		}
		pos := int(off[0])
		for range perChunk {
			if next >= len(sizes) {
				return nil, nil, nil, errors.New("chunks hold more samples than stsz")
			}
			n := int(sizes[next][0])
			if pos < 0 || pos+n > len(file) {
				return nil, nil, nil, errShort
			}
			samples = append(samples, slices.Clone(file[pos:pos+n]))
			pos += n
			next++
		}
	}
	if next != len(sizes) {
		return nil, nil, nil, fmt.Errorf("chunks hold %d of %d samples", next, len(sizes))
	}

	if stss, err := child(stbl, "stss"); err == nil {
		sync, err := table(stss, 0, 1)
		if err != nil {
			return nil, nil, nil, err
		}
		keys = make([]bool, len(samples))
		for _, s := range sync {
			if i := int(s[0]) - 1; i >= 0 && i < len(keys) {
				keys[i] = true
			}
		}
	}
	return rec, samples, keys, nil
}
