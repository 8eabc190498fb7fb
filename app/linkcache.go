package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"studio/publish/rtmp"
)

// LinkCacheMaxAge is how old a cached link test may be for LastLinkKbps
// to use it: beyond that the machine may well be on another network.
const LinkCacheMaxAge = 7 * 24 * time.Hour

// linkCache is the file's content: the last link test per ingest host.
// It holds no stream key: hosts only.
type linkCache struct {
	Hosts map[string]cachedLink `json:"hosts"`
}

type cachedLink struct {
	LinkReport
	At time.Time `json:"at"`
}

// LinkCachePath is the file that keeps the last link test per ingest host:
// studio/link.json under os.UserCacheDir ($XDG_CACHE_HOME or ~/.cache on
// Linux).
func LinkCachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("link cache: %w", err)
	}
	return filepath.Join(dir, "studio", "link.json"), nil
}

// linkHost is the cache's key for a publish URL: its host, lower case.
func linkHost(rawURL string) (string, error) {
	u, err := rtmp.ParseURL(rawURL)
	if err != nil {
		return "", err
	}
	return strings.ToLower(u.Host), nil
}

func readLinkCache(path string) (linkCache, error) {
	c := linkCache{Hosts: map[string]cachedLink{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("link cache: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		// A damaged cache is only a lost hint: start a new one.
		return linkCache{Hosts: map[string]cachedLink{}}, nil
	}
	if c.Hosts == nil {
		c.Hosts = map[string]cachedLink{}
	}
	return c, nil
}

// SaveLinkReport records r as the last link test of rawURL's host, at
// time at, in LinkCachePath: a file readable by its owner only (0600, in
// a 0700 directory), replaced whole (written aside, then renamed), so a
// reader never sees half of it. Two studios saving at once may lose one
// of the two results, never the file.
func SaveLinkReport(rawURL string, r LinkReport, at time.Time) error {
	host, err := linkHost(rawURL)
	if err != nil {
		return err
	}
	path, err := LinkCachePath()
	if err != nil {
		return err
	}
	c, err := readLinkCache(path)
	if err != nil {
		return err
	}
	c.Hosts[host] = cachedLink{LinkReport: r, At: at.UTC().Round(time.Second)}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("link cache: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("link cache: %w", err)
	}
	f, err := os.CreateTemp(dir, ".link-*.json") // mode 0600
	if err != nil {
		return fmt.Errorf("link cache: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), path)
	}
	if werr != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("link cache: %w", werr)
	}
	return nil
}

// LastLinkReport returns the last link test saved for rawURL's host and
// when it ran, whatever its age; ok is false when there is none (or the
// cache cannot be read).
func LastLinkReport(rawURL string) (r LinkReport, at time.Time, ok bool) {
	host, err := linkHost(rawURL)
	if err != nil {
		return LinkReport{}, time.Time{}, false
	}
	path, err := LinkCachePath()
	if err != nil {
		return LinkReport{}, time.Time{}, false
	}
	c, err := readLinkCache(path)
	if err != nil {
		return LinkReport{}, time.Time{}, false
	}
	e, ok := c.Hosts[host]
	return e.LinkReport, e.At, ok
}

// LastLinkKbps returns the upload, in kbit/s, that the last link test of
// rawURL's host measured, so that a stream can start from it; ok is false
// when there is none younger than LinkCacheMaxAge.
func LastLinkKbps(rawURL string) (kbps int, ok bool) {
	r, at, ok := LastLinkReport(rawURL)
	if !ok || time.Since(at) > LinkCacheMaxAge || r.UploadKbps <= 0 {
		return 0, false
	}
	return r.UploadKbps, true
}
