// Package rtmp is the RTMP and RTMPS publishing client: it connects to an
// ingest server (YouTube, Twitch, Facebook, nginx-rtmp, FFmpeg's listener…),
// publishes one stream and satisfies publish.Publisher.
//
// Publish does the whole setup, each step bounded by Options.Timeout: TCP
// (TCP_NODELAY) and, for rtmps://, TLS against the system roots; the plain
// handshake (package handshake); Set Chunk Size 4096; connect on chunk
// stream 3; releaseStream, FCPublish and createStream (refusals of the
// first two are only logged); publish(key, "live") on the new stream; and
// it returns when the server answers NetStream.Publish.Start.
//
// Then WriteHeader sends @setDataFrame onMetaData and the video and AAC
// sequence headers, and WritePacket sends each packet as one message (one
// write system call, no allocation) with timestamp = DTS in milliseconds.
// H.264 goes in the legacy FLV form; HEVC and AV1 in the Enhanced RTMP v2
// form (extended video header with the FourCC, see package flv).
//
// Enhanced RTMP: connect declares fourCcList (Options.VideoCodec and avc1)
// and, with Options.OnReconnectRequest, capsEx. A server whose connect
// answer declares its video codecs (fourCcList or videoFourCcInfoMap)
// without ours fails Publish (or WriteHeader) with wire.ErrCodecRefused;
// one that declares none (nginx-rtmp, which drops HEVC and AV1 video) gets
// the stream and a logged warning. The server's
// NetConnection.Connect.ReconnectRequest reaches
// Options.OnReconnectRequest.
// A reader goroutine answers pings, acknowledges the server's window, honours
// its chunk size and reports every status event through Options.OnStatus.
// Close sends FCUnpublish and deleteStream and closes the connection.
//
// A dead link is noticed two ways, and then Done closes and Err wraps
// wire.ErrTimeout: a write that makes no progress for
// Options.WriteTimeout, and a server that stops acknowledging. After
// connect the client announces a Window Acknowledgement Size
// (Options.AckWindow; nginx-rtmp then acknowledges every window it
// receives); once the server has acknowledged at least once, having sent
// more than twice the window since its last acknowledgement for longer
// than Options.AckTimeout kills the connection. Servers that never
// acknowledge are never declared dead this way.
//
// Every error wraps one of the sentinel errors of package wire (which
// package publish re-exports under the same names), and the
// stream key (the last path segment(s) and the query of the URL) is a
// secret: URL.String shows it as "****", and it never appears in errors,
// logs or status descriptions.
//
// Chunk stream IDs follow FFmpeg: 2 for control messages, 3 for
// NetConnection commands, 4 for audio, 6 for video and 8 for NetStream
// commands and metadata.
package rtmp
