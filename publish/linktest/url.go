package linktest

import (
	"net/url"
	"strings"
)

// bandwidthTestParam is the query parameter that makes a Twitch ingest
// accept the stream without passing it on to viewers.
const bandwidthTestParam = "bandwidthtest=true"

// twitchDomains are the domains of Twitch's ingests: the old
// live-*.twitch.tv hosts, the regional <region>.contribute.live-video.net
// ones and the global ingest.global-contribute.live-video.net.
var twitchDomains = []string{"twitch.tv", "contribute.live-video.net", "global-contribute.live-video.net"}

// IsTwitch reports whether rawURL's host is a Twitch ingest: twitch.tv,
// contribute.live-video.net or global-contribute.live-video.net, or a
// host under one of them.
func IsTwitch(rawURL string) bool {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	for _, d := range twitchDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// BandwidthTestURL returns rawURL unchanged, except for a Twitch ingest
// (see IsTwitch): then the stream key gets "?bandwidthtest=true", or
// "&bandwidthtest=true" when it already has a query, as OBS's
// auto-configuration wizard does, so that the test reaches no viewer. A
// key that already asks for the test is left alone.
func BandwidthTestURL(rawURL string) string {
	if !IsTwitch(rawURL) {
		return rawURL
	}
	raw := strings.TrimSpace(rawURL)
	_, query, hasQuery := strings.Cut(raw, "?")
	if !hasQuery {
		return raw + "?" + bandwidthTestParam
	}
	for _, p := range strings.Split(query, "&") {
		if strings.EqualFold(p, bandwidthTestParam) {
			return raw
		}
	}
	if strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "&") {
		return raw + bandwidthTestParam
	}
	return raw + "&" + bandwidthTestParam
}
