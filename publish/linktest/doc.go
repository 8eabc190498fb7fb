// Package linktest measures what a link to an RTMP ingest really delivers,
// before a stream: it publishes real, decodable test data (a short clip of
// studio's test pattern encoded with x264, looped with continuing
// timestamps and padded with H.264 filler data, and silent AAC) for a few
// seconds, as fast as the link takes it up to a ceiling, and reads from
// the socket how many bytes the server acknowledged.
//
// Encoding the clip also times x264 on this machine (EncodeClip), which
// says what picture size and frame rate it can encode in real time.
//
// Twitch ingests are asked for a bandwidth test (BandwidthTestURL), so
// that nothing reaches viewers.
package linktest
