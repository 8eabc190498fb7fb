package rtmp

import (
	"bytes"
	"errors"
	"testing"

	"studio/publish/rtmp/wire"
)

func TestControlMessages(t *testing.T) {
	// Hand-checked bodies.
	if got := appendUint32(nil, 2500000); !bytes.Equal(got, []byte{0x00, 0x26, 0x25, 0xa0}) {
		t.Errorf("window ack size body % x", got)
	}
	if got := appendUserControl(nil, EventPingResponse, []byte{1, 2, 3, 4}); !bytes.Equal(got, []byte{0, 7, 1, 2, 3, 4}) {
		t.Errorf("ping response body % x", got)
	}
	w, limit, err := parsePeerBandwidth([]byte{0x00, 0x26, 0x25, 0xa0, 0x02})
	if err != nil || w != 2500000 || limit != LimitDynamic {
		t.Errorf("peer bandwidth %d %d %v", w, limit, err)
	}
	ev, data, err := parseUserControl([]byte{0, 6, 0, 0, 0x30, 0x39})
	if err != nil || ev != EventPingRequest || !bytes.Equal(data, []byte{0, 0, 0x30, 0x39}) {
		t.Errorf("user control %d % x %v", ev, data, err)
	}
	if _, err := parseUint32("Acknowledgement", []byte{1, 2}); !errors.Is(err, wire.ErrProtocol) {
		t.Errorf("short ack: %v", err)
	}
	if _, _, err := parsePeerBandwidth([]byte{1, 2, 3, 4}); !errors.Is(err, wire.ErrProtocol) {
		t.Errorf("short peer bandwidth: %v", err)
	}
	if _, _, err := parseUserControl([]byte{1}); !errors.Is(err, wire.ErrProtocol) {
		t.Errorf("short user control: %v", err)
	}
}
