package av1

import (
	"bytes"
	"fmt"

	mcav1 "github.com/bluenviron/mediacommon/v2/pkg/codecs/av1"

	"studio/encode"
)

// packetBuf is a packet and its buffer, reused through the free list.
type packetBuf struct {
	data []byte
	pkt  encode.Packet
	rel  func()
}

// queueLocked turns an SVT-AV1 packet into an encode.Packet and queues it.
func (e *Encoder) queueLocked(p svtPacket) error {
	if p.seq < 0 || e.pts[p.seq%int64(len(e.pts))].seq != p.seq {
		return fmt.Errorf("packet for unknown frame %d", p.seq)
	}
	at := e.pts[p.seq%int64(len(e.pts))]
	b := e.get()
	data, seqHdr, err := AppendTemporalUnit(b.data[:0], p.data)
	if err == nil && seqHdr {
		err = e.checkSequenceHeaderLocked(data)
	}
	if err != nil {
		e.put(b)
		return err
	}
	if len(data) == 0 {
		e.put(b)
		return fmt.Errorf("empty temporal unit for frame %d", p.seq)
	}
	if p.key && !seqHdr {
		e.put(b)
		return fmt.Errorf("key frame %d without a sequence header", p.seq)
	}
	e.inFlight--
	b.data = data
	b.pkt = *encode.NewPacket(encode.Video, at.pts, at.pts, p.key, data, b.rel)
	e.queue = append(e.queue, &b.pkt)
	return nil
}

// checkSequenceHeaderLocked takes the sequence header from the first key
// frame into Record and checks that later ones, restarts included, repeat
// it: a decoder configured from Record must be able to decode them all.
func (e *Encoder) checkSequenceHeaderLocked(tu []byte) error {
	for len(tu) > 0 {
		h, err := nextOBU(tu)
		if err != nil {
			return err
		}
		if h.typ != mcav1.OBUTypeSequenceHeader {
			tu = tu[h.size:]
			continue
		}
		obu := tu[:h.size]
		if e.seqHdr != nil {
			if !bytes.Equal(obu, e.seqHdr) {
				return fmt.Errorf("sequence header changed from % x to % x", e.seqHdr, obu)
			}
			return nil
		}
		rec, err := ConfigRecord(obu)
		if err != nil {
			return err
		}
		e.seqHdr = rec[4:]
		e.cfgMu.Lock()
		e.vcfg.Record = rec
		e.cfgMu.Unlock()
		return nil
	}
	return nil
}

func (e *Encoder) get() *packetBuf {
	if b := e.free.Get(); b != nil {
		return b
	}
	b := &packetBuf{}
	b.rel = func() { e.put(b) }
	return b
}

func (e *Encoder) put(b *packetBuf) {
	e.free.Put(b)
}
