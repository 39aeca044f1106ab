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
	"sync"
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

// Player fetches a live LL-HLS stream the way hls.js and Safari do: the
// playlist, the init segment, then blocking playlist reloads for the next
// part and every new part, from the live edge on. A player that falls
// behind skips ahead as they do: when a part it wants is gone (404 or 410)
// or a part it got was more than three target durations behind live, it
// reloads the playlist and starts again at the live edge. It keeps nothing
// but counts.
type Player struct {
	// URL is the playlist's address, with any ?token=.
	URL string
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
	// Got, when set, is called with every part fetched (for checks), the
	// init segment first with a Listed of Part -1 and no URI. A player
	// behind the parts the playlist lists fetches a whole segment (Part -1).
	Got func(l Listed, data []byte)

	// Requests and Bytes count what was fetched.
	Requests, Bytes int64
	// Parts counts the parts (and whole segments) fetched.
	Parts int
	// Skips counts the jumps to the live edge.
	Skips int
	// Lag is the distance to live of each part when it was in: how long
	// after its last picture was taken the player had all of it.
	Lag []time.Duration

	buf []byte // a playlist's bytes, reused
}

// errBehind is why a player skips to the live edge.
var errBehind = errors.New("behind live")

// statusError is an answer other than 200 OK.
type statusError struct {
	code int
	msg  string
}

func (e *statusError) Error() string { return e.msg }

// Run plays until ctx ends or parts parts were fetched (0: no limit). It
// returns nil then, and the first failed request's error otherwise.
func (p *Player) Run(ctx context.Context, parts int) error {
	err := p.run(ctx, parts)
	if ctx.Err() != nil {
		return nil // the end asked for
	}
	return err
}

func (p *Player) run(ctx context.Context, parts int) error {
	base, err := url.Parse(p.URL)
	if err != nil {
		return err
	}
	pl, err := p.playlist(ctx, base, "")
	if err != nil {
		return err
	}
	if err := p.fetch(ctx, base, Listed{URI: pl.Init, Part: -1}, false); err != nil {
		return err
	}
	for {
		at, err := edge(pl)
		if err == nil {
			err = p.follow(ctx, base, pl, at, parts)
		}
		if !errors.Is(err, errBehind) {
			return err
		}
		p.Skips++
		if pl, err = p.playlist(ctx, base, ""); err != nil {
			return err
		}
	}
}

// edge returns where a player starts: the newest independent part, near
// live and where decoding can begin.
func edge(pl *Playlist) (Listed, error) {
	for i := len(pl.Parts) - 1; i >= 0; i-- {
		if pl.Parts[i].Independent {
			return pl.Parts[i], nil
		}
	}
	return Listed{}, errors.New("the playlist lists no independent part")
}

// follow fetches the parts from part at on, then waits for more, until ctx
// ends or parts parts were fetched. It returns errBehind when the player
// should skip to the live edge.
func (p *Player) follow(ctx context.Context, base *url.URL, pl *Playlist, at Listed, parts int) error {
	msn, part := at.MSN, at.Part // the next part wanted
	for ctx.Err() == nil && (parts == 0 || p.Parts < parts) {
		l, ok := pl.next(msn, part)
		if !ok {
			if pl.gone(msn, part) {
				return errBehind
			}
			// Wait for it: the same request every player at the live
			// edge sends, which a cache collapses.
			var err error
			if pl, err = p.playlist(ctx, base, fmt.Sprintf("_HLS_msn=%d&_HLS_part=%d", msn, part)); err != nil {
				return err
			}
			continue
		}
		if err := p.fetch(ctx, base, l, true); err != nil {
			return err
		}
		if p.Lag[len(p.Lag)-1] > 3*time.Duration(max(pl.TargetDuration, 1))*time.Second {
			return errBehind
		}
		msn, part = l.MSN, l.Part+1
		if l.Part < 0 {
			msn, part = l.MSN+1, 0
		}
	}
	return nil
}

// next returns what to fetch for part part of segment msn: that part, the
// first part of the next segment when msn has no more parts, or, for part
// 0, the whole segment when the playlist no longer lists its parts. It
// reports false when the playlist lists none of them.
func (pl *Playlist) next(msn uint64, part int) (Listed, bool) {
	for _, l := range pl.Parts {
		if l.MSN == msn && l.Part == part {
			return l, true
		}
	}
	if msn >= pl.NextMSN {
		return Listed{}, false // being made
	}
	if len(pl.Parts) > 0 && msn >= pl.Parts[0].MSN {
		return pl.next(msn+1, 0) // segment msn is whole and had part parts
	}
	if part > 0 {
		return Listed{}, false // mid-segment, and its parts are no longer listed
	}
	for _, s := range pl.Segments {
		if s.MSN == msn {
			return s, true
		}
	}
	return Listed{}, false
}

// gone reports whether part part of segment msn left the playlist: the
// segment did, or, mid-segment, its parts did.
func (pl *Playlist) gone(msn uint64, part int) bool {
	return msn < pl.MediaSequence || part > 0 && msn < pl.NextMSN && (len(pl.Parts) == 0 || msn < pl.Parts[0].MSN)
}

// fetch gets l (the init segment when it is not live) and counts it. A
// part that is gone or not there gives errBehind.
func (p *Player) fetch(ctx context.Context, base *url.URL, l Listed, live bool) error {
	var sink []byte
	if p.Got != nil {
		sink = []byte{}
	}
	data, err := p.get(ctx, base, l.URI, sink)
	var se *statusError
	if live && errors.As(err, &se) && (se.code == http.StatusGone || se.code == http.StatusNotFound) {
		return fmt.Errorf("%w: %v", errBehind, err)
	}
	if err != nil {
		return err
	}
	if live {
		p.Parts++
		p.Lag = append(p.Lag, time.Since(l.End))
	}
	if p.Got != nil {
		if !live {
			l = Listed{Part: -1}
		}
		p.Got(l, data)
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
	if p.buf == nil {
		p.buf = make([]byte, 0, 8<<10)
	}
	b, err := p.get(ctx, &u, "", p.buf[:0])
	if err != nil {
		return nil, err
	}
	p.buf = b
	pl, err := ParsePlaylist(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Path, err)
	}
	pl.Read = time.Now()
	return pl, nil
}

// get fetches ref resolved against base ("" for base itself) and appends
// its body to into, or discards it when into is nil.
func (p *Player) get(ctx context.Context, base *url.URL, ref string, into []byte) ([]byte, error) {
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
	p.Requests++
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		// The path only: the query may hold a token.
		return nil, &statusError{resp.StatusCode, fmt.Sprintf("%s: %s: %s", u.Path, resp.Status, bytes.TrimSpace(b))}
	}
	if into == nil {
		n, err := discard(resp.Body)
		p.Bytes += n
		return nil, err
	}
	b := bytes.NewBuffer(into)
	n, err := b.ReadFrom(resp.Body)
	p.Bytes += n
	return b.Bytes(), err
}

// discardBufs hold the bodies nobody keeps, in reads as large as a part.
var discardBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// discard reads r to its end and returns how many bytes it had.
func discard(r io.Reader) (int64, error) {
	b := discardBufs.Get().(*[]byte)
	defer discardBufs.Put(b)
	var n int64
	for {
		k, err := r.Read(*b)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
