package hls

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Playlist is what a Player reads of a media playlist.
type Playlist struct {
	TargetDuration int
	PartTarget     time.Duration
	MediaSequence  uint64
	Init           string    // the EXT-X-MAP URI
	Segments       []Listed  // whole segments, oldest first
	Parts          []Listed  // every part listed, oldest first
	Hint           string    // the EXT-X-PRELOAD-HINT URI
	NextMSN        uint64    // the MSN of the segment after the last whole one
	Read           time.Time // when it was read
}

// Listed is a segment or part of a Playlist.
type Listed struct {
	URI         string
	MSN         uint64
	Part        int // the part's index in its segment; -1 for a segment
	Duration    time.Duration
	Independent bool
	End         time.Time // when its last picture was taken, from EXT-X-PROGRAM-DATE-TIME
}

// ParsePlaylist reads a media playlist as this package writes it.
func ParsePlaylist(b []byte) (*Playlist, error) {
	pl := &Playlist{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	var at time.Time // where the next part or segment begins
	var segStart time.Time
	part := 0
	var nSegs uint64
	attr := func(line, key string) string {
		i := strings.Index(line, key+"=")
		if i < 0 {
			return ""
		}
		v := line[i+len(key)+1:]
		if strings.HasPrefix(v, `"`) {
			v, _, _ = strings.Cut(v[1:], `"`)
			return v
		}
		v, _, _ = strings.Cut(v, ",")
		return v
	}
	secs := func(s string) time.Duration {
		f, _ := strconv.ParseFloat(s, 64)
		return time.Duration(f * float64(time.Second))
	}
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			if line != "#EXTM3U" {
				return nil, errors.New("not a playlist: no #EXTM3U")
			}
			first = false
			continue
		}
		switch {
		case strings.HasPrefix(line, "#EXT-X-TARGETDURATION:"):
			pl.TargetDuration, _ = strconv.Atoi(line[len("#EXT-X-TARGETDURATION:"):])
		case strings.HasPrefix(line, "#EXT-X-PART-INF:"):
			pl.PartTarget = secs(attr(line, "PART-TARGET"))
		case strings.HasPrefix(line, "#EXT-X-MEDIA-SEQUENCE:"):
			pl.MediaSequence, _ = strconv.ParseUint(line[len("#EXT-X-MEDIA-SEQUENCE:"):], 10, 64)
		case strings.HasPrefix(line, "#EXT-X-MAP:"):
			pl.Init = attr(line, "URI")
		case strings.HasPrefix(line, "#EXT-X-PROGRAM-DATE-TIME:"):
			t, err := time.Parse(time.RFC3339Nano, line[len("#EXT-X-PROGRAM-DATE-TIME:"):])
			if err != nil {
				return nil, fmt.Errorf("EXT-X-PROGRAM-DATE-TIME: %w", err)
			}
			at, segStart = t, t
		case strings.HasPrefix(line, "#EXT-X-PART:"):
			d := secs(attr(line, "DURATION"))
			at = at.Add(d)
			pl.Parts = append(pl.Parts, Listed{URI: attr(line, "URI"), MSN: pl.MediaSequence + nSegs, Part: part,
				Duration: d, Independent: attr(line, "INDEPENDENT") == "YES", End: at})
			part++
		case strings.HasPrefix(line, "#EXTINF:"):
			d := secs(strings.TrimSuffix(line[len("#EXTINF:"):], ","))
			if !sc.Scan() {
				return nil, errors.New("EXTINF without a URI")
			}
			pl.Segments = append(pl.Segments, Listed{URI: sc.Text(), MSN: pl.MediaSequence + nSegs, Part: -1,
				Duration: d, Independent: true, End: segStart.Add(d)})
			nSegs++
			part = 0
		case strings.HasPrefix(line, "#EXT-X-PRELOAD-HINT:"):
			pl.Hint = attr(line, "URI")
		}
	}
	if first {
		return nil, errors.New("not a playlist: empty")
	}
	pl.NextMSN = pl.MediaSequence + nSegs
	return pl, sc.Err()
}

// Player fetches a live LL-HLS stream the way a player does: the playlist,
// the init segment, then blocking playlist reloads for the next part and
// every new part, from the live edge on. It keeps nothing but counts.
type Player struct {
	// URL is the playlist's address, with any ?token=.
	URL string
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
	// Got, when set, is called with every part fetched (for checks), the
	// init segment first with a Listed of Part -1 and no URI.
	Got func(l Listed, data []byte)

	// Requests and Bytes count what was fetched.
	Requests, Bytes int64
	// Parts counts the parts fetched.
	Parts int
	// Lag is the distance to live of each part when it was in: how long
	// after its last picture was taken the player had all of it.
	Lag []time.Duration
}

// Run plays until ctx ends or parts parts were fetched (0: no limit). It
// returns nil then, and the first failed request's error otherwise.
func (p *Player) Run(ctx context.Context, parts int) error {
	base, err := url.Parse(p.URL)
	if err != nil {
		return err
	}
	pl, err := p.playlist(ctx, base, "")
	if err != nil {
		return err
	}
	initData, err := p.get(ctx, base, pl.Init)
	if err != nil {
		return err
	}
	if p.Got != nil {
		p.Got(Listed{Part: -1}, initData)
	}
	// Start at the newest independent part, as players start near live.
	var last Listed
	for _, l := range pl.Parts {
		if l.Independent {
			last = l
		}
	}
	if last.URI == "" {
		return errors.New("the playlist lists no independent part")
	}
	last.Part-- // fetch it below
	err = p.follow(ctx, base, pl, last, parts)
	if ctx.Err() != nil {
		return nil // the end asked for
	}
	return err
}

// follow fetches the parts after last, then waits for more, until ctx ends
// or parts parts were fetched.
func (p *Player) follow(ctx context.Context, base *url.URL, pl *Playlist, last Listed, parts int) error {
	var err error
	for ctx.Err() == nil && (parts == 0 || p.Parts < parts) {
		for _, l := range pl.Parts {
			if l.MSN < last.MSN || l.MSN == last.MSN && l.Part <= last.Part {
				continue
			}
			data, err := p.get(ctx, base, l.URI)
			if err != nil {
				return err
			}
			p.Parts++
			p.Lag = append(p.Lag, time.Since(l.End))
			if p.Got != nil {
				p.Got(l, data)
			}
			last = l
		}
		// Wait for the part after the last one: the same request every
		// player at the live edge sends, which a cache collapses.
		q := fmt.Sprintf("_HLS_msn=%d&_HLS_part=%d", last.MSN, last.Part+1)
		if pl, err = p.playlist(ctx, base, q); err != nil {
			return err
		}
	}
	return nil
}

// playlist reads the playlist with the query q added.
func (p *Player) playlist(ctx context.Context, base *url.URL, q string) (*Playlist, error) {
	u := *base
	if q != "" {
		if u.RawQuery != "" {
			q = u.RawQuery + "&" + q
		}
		u.RawQuery = q
	}
	b, err := p.get(ctx, &u, "")
	if err != nil {
		return nil, err
	}
	pl, err := ParsePlaylist(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Path, err)
	}
	pl.Read = time.Now()
	return pl, nil
}

// get fetches ref resolved against base ("" for base itself).
func (p *Player) get(ctx context.Context, base *url.URL, ref string) ([]byte, error) {
	u := base
	if ref != "" {
		r, err := url.Parse(ref)
		if err != nil {
			return nil, err
		}
		u = base.ResolveReference(r)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	c := p.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text holds the URL, and the URL a token
		}
		return nil, fmt.Errorf("%s: %w", u.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	p.Requests++
	p.Bytes += int64(len(b))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		// The path only: the query may hold a token.
		return nil, fmt.Errorf("%s: %s: %s", u.Path, resp.Status, bytes.TrimSpace(b))
	}
	return b, nil
}
