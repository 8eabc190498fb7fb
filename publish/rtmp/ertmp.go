package rtmp

// Enhanced RTMP (v2) negotiation: what the connect command declares
// (fourCcList, capsEx), what the server's answer declares, and the
// server's reconnect request.

import (
	"fmt"
	"slices"

	"studio/encode"
	"studio/publish/amf0"
	"studio/publish/rtmp/wire"
)

// Enhanced RTMP names.
const (
	// CodeReconnectRequest is the code of the onStatus with which a server
	// asks the client to reconnect (optionally to another tcUrl).
	CodeReconnectRequest = wire.CodeReconnectRequest
	// capsExReconnect is the capsEx bit saying that the client honours
	// CodeReconnectRequest.
	capsExReconnect = 0x01
)

// connectObject returns the connect command object: app, type, flashVer and
// tcUrl, then fourCcList (the codec being published and avc1) and, when the
// client handles reconnect requests, capsEx.
func (s *Stream) connectObject() amf0.Object {
	obj := amf0.Object{
		{Key: "app", Value: s.url.App},
		{Key: "type", Value: "nonprivate"},
		{Key: "flashVer", Value: s.opts.FlashVer},
		{Key: "tcUrl", Value: s.url.TCURL()},
	}
	list := amf0.StrictArray{s.opts.VideoCodec.FourCC()}
	if s.opts.VideoCodec != encode.H264 {
		list = append(list, encode.H264.FourCC())
	}
	obj = append(obj, amf0.Property{Key: "fourCcList", Value: list})
	if s.opts.OnReconnectRequest != nil {
		obj = append(obj, amf0.Property{Key: "capsEx", Value: float64(capsExReconnect)})
	}
	return obj
}

// serverFourCCs returns the video FourCCs that the server's connect answer
// declares, in its fourCcList or as the keys of its videoFourCcInfoMap, in
// the command object or any argument; declared is false when it declares
// none (a server that does not speak Enhanced RTMP). "*" means any codec.
func serverFourCCs(res Command) (list []string, declared bool) {
	for _, v := range append([]any{res.Object}, res.Args...) {
		o, ok := properties(v)
		if !ok {
			continue
		}
		if a, ok := o.Get("fourCcList"); ok {
			if arr, ok := a.(amf0.StrictArray); ok {
				declared = true
				for _, e := range arr {
					if s, ok := e.(string); ok {
						list = append(list, s)
					}
				}
			}
		}
		if m, ok := o.Get("videoFourCcInfoMap"); ok {
			if mo, ok := properties(m); ok {
				declared = true
				for _, p := range mo {
					list = append(list, p.Key)
				}
			}
		}
	}
	return list, declared
}

// legacyVersion is the fmsVer that nginx-rtmp and FFmpeg's RTMP server
// answer connect with. Neither speaks Enhanced RTMP: nginx-rtmp takes an
// HEVC or AV1 stream and records no frame of it, FFmpeg 5.1's FLV reader
// cannot read it.
const legacyVersion = "FMS/3,0,1,123"

// serverVersion is the fmsVer of a connect answer, or "".
func serverVersion(res Command) string {
	for _, v := range append([]any{res.Object}, res.Args...) {
		if o, ok := properties(v); ok {
			if ver, ok := o.String("fmsVer"); ok {
				return ver
			}
		}
	}
	return ""
}

// checkCodec fails with wire.ErrCodecRefused when the server's connect
// answer declared its video codecs and c is not among them, or declared
// none and is a server known not to speak Enhanced RTMP (legacyVersion).
// A server that declares nothing otherwise is given the benefit of the
// doubt (gortmplib and MediaMTX take Enhanced RTMP without declaring it),
// with a warning. H.264 is never refused: every RTMP server takes it in
// its legacy form.
func (s *Stream) checkCodec(c encode.VideoCodec) error {
	list, declared := s.serverCodecs, s.serverDeclares
	if c != encode.H264 && !declared && s.serverVersion == legacyVersion {
		return fmt.Errorf("%s (%s): the server (%s, as nginx-rtmp and FFmpeg answer) does not speak Enhanced RTMP: %w",
			codecName(c), c.FourCC(), s.serverVersion, wire.ErrCodecRefused)
	}
	if c == encode.H264 || !declared || slices.Contains(list, c.FourCC()) || slices.Contains(list, "*") {
		return nil
	}
	return fmt.Errorf("%s (%s) is not among the video codecs the server declares %q: %w",
		codecName(c), c.FourCC(), list, wire.ErrCodecRefused)
}

// codecName names a codec for people.
func codecName(c encode.VideoCodec) string {
	switch c {
	case encode.HEVC:
		return "HEVC"
	case encode.AV1:
		return "AV1"
	}
	return "H.264"
}

// handleReconnectRequest hands the server's reconnect request to
// Options.OnReconnectRequest, on the reader goroutine.
func (s *Stream) handleReconnectRequest(cmd Command) {
	tcURL := ""
	for _, v := range append(append([]any{}, cmd.Args...), cmd.Object) {
		if o, ok := properties(v); ok {
			if code, _ := o.String("code"); code == CodeReconnectRequest {
				tcURL, _ = o.String("tcUrl")
				break
			}
		}
	}
	s.log.Info("rtmp: the server asks to reconnect", "tcUrl", s.url.redact(tcURL))
	if s.opts.OnReconnectRequest != nil {
		s.onStatusG.Store(goid())
		defer s.onStatusG.Store(0)
		s.opts.OnReconnectRequest(tcURL)
	}
}

// ServerCodecs returns the video FourCCs that the server's connect answer
// declared (Enhanced RTMP fourCcList or videoFourCcInfoMap; "*" means
// any); declared is false when it declared none, as servers that do not
// speak Enhanced RTMP (nginx-rtmp) do: such a server may take an HEVC or
// AV1 stream and drop or garble its video.
func (s *Stream) ServerCodecs() (list []string, declared bool) {
	return slices.Clone(s.serverCodecs), s.serverDeclares
}
