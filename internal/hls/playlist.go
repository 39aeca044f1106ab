package hls

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// render writes the media playlist; query, when not empty, is appended to
// every URI it lists (a camera's ?token=). Callers hold mu.
func (m *Muxer) render(query string) []byte {
	if query != "" {
		query = "?" + query
	}
	var b strings.Builder
	secs := func(d ticks) string { return strconv.FormatFloat(d.seconds(), 'f', 3, 64) }
	fmt.Fprintf(&b, "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:%d\n", m.target)
	// PART-HOLD-BACK: three parts, as the spec recommends.
	fmt.Fprintf(&b, "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=%s\n", secs(3*m.partDur))
	fmt.Fprintf(&b, "#EXT-X-PART-INF:PART-TARGET=%s\n", secs(m.partDur))
	segs := m.segs[max(0, len(m.segs)-ListedSegments):]
	fmt.Fprintf(&b, "#EXT-X-MEDIA-SEQUENCE:%d\n#EXT-X-INDEPENDENT-SEGMENTS\n", segs[0].msn)
	fmt.Fprintf(&b, "#EXT-X-MAP:URI=\"%s-init.mp4%s\"\n", m.session, query)
	parts := func(s *segment) {
		for i, p := range s.parts {
			fmt.Fprintf(&b, "#EXT-X-PART:DURATION=%s,URI=\"%s-%d.%d.mp4%s\"", secs(p.dur), m.session, s.msn, i, query)
			if p.independent {
				b.WriteString(",INDEPENDENT=YES")
			}
			b.WriteByte('\n')
		}
	}
	for i, s := range segs {
		fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", s.start.UTC().Format("2006-01-02T15:04:05.000Z"))
		if i >= len(segs)-partsListed {
			parts(s)
		}
		fmt.Fprintf(&b, "#EXTINF:%s,\n%s-%d.mp4%s\n", secs(s.dur), m.session, s.msn, query)
	}
	next := 0
	if m.cur != nil {
		fmt.Fprintf(&b, "#EXT-X-PROGRAM-DATE-TIME:%s\n", m.cur.start.UTC().Format("2006-01-02T15:04:05.000Z"))
		parts(m.cur)
		next = len(m.cur.parts)
	}
	fmt.Fprintf(&b, "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"%s-%d.%d.mp4%s\"\n", m.session, m.nextMSN, next, query)
	return []byte(b.String())
}

// Reload is a playlist request's blocking reload: wait until the playlist
// holds part Part of segment MSN (_HLS_msn, _HLS_part).
type Reload struct {
	// Block asks to wait; without it the current playlist is returned.
	Block bool
	// MSN is the media sequence number waited for.
	MSN uint64
	// Part is the part index waited for; negative waits for the whole
	// segment MSN.
	Part int
}

// ParseReload reads _HLS_msn and _HLS_part from a playlist request's
// query values (get returns "" for an absent key). Malformed values, or
// _HLS_part without _HLS_msn, give an error wrapping ErrBadRequest, as
// does an _HLS_skip other than YES or v2. A well-formed _HLS_skip gets the
// whole playlist: it offers no delta updates (no CAN-SKIP-UNTIL), since
// with seven segments listed and the least CAN-SKIP-UNTIL the spec allows
// (six target durations) one would leave out the oldest segment only,
// 3-4 % of the playlist's bytes (docs/BENCHMARKS.md).
func ParseReload(get func(string) string) (Reload, error) {
	if skip := get("_HLS_skip"); skip != "" && skip != "YES" && skip != "v2" {
		return Reload{}, fmt.Errorf("%w: _HLS_skip %q is neither YES nor v2", ErrBadRequest, skip)
	}
	msn, part := get("_HLS_msn"), get("_HLS_part")
	if msn == "" {
		if part != "" {
			return Reload{}, fmt.Errorf("%w: _HLS_part needs _HLS_msn", ErrBadRequest)
		}
		return Reload{}, nil
	}
	r := Reload{Block: true, Part: -1}
	var err error
	if r.MSN, err = strconv.ParseUint(msn, 10, 64); err != nil {
		return Reload{}, fmt.Errorf("%w: _HLS_msn %q is not a media sequence number", ErrBadRequest, msn)
	}
	if part != "" {
		p, err := strconv.ParseUint(part, 10, 16)
		if err != nil {
			return Reload{}, fmt.Errorf("%w: _HLS_part %q is not a part index", ErrBadRequest, part)
		}
		r.Part = int(p)
	}
	return r, nil
}

// Playlist returns the media playlist once it satisfies r, with query
// appended to every URI it lists. It waits until ctx ends, up to three
// target durations for a blocking reload (ErrTimeout after that), as the
// spec asks servers to, or up to startWait for a new Muxer's first
// segment. A reload more than two segments ahead gets ErrBadRequest, as
// the spec says.
func (m *Muxer) Playlist(ctx context.Context, r Reload, query string) ([]byte, error) {
	var out []byte
	err := m.wait(ctx, func(first bool) (bool, error) {
		if len(m.segs) == 0 {
			return false, nil
		}
		if r.Block {
			if r.MSN > m.nextMSN+2 {
				return false, fmt.Errorf("%w: _HLS_msn %d is more than two segments after the last one, %d", ErrBadRequest, r.MSN, m.nextMSN)
			}
			if !m.has(r.MSN, r.Part) {
				return false, nil
			}
		}
		out = m.plain
		if query != "" {
			out = m.render(query)
		}
		return true, nil
	})
	return out, err
}

// has reports whether the playlist holds part p of segment msn (the whole
// segment when p is negative). Callers hold mu.
func (m *Muxer) has(msn uint64, p int) bool {
	if msn < m.firstMSN || msn < m.segs[0].msn {
		return true // long past
	}
	if msn >= m.nextMSN {
		return msn == m.nextMSN && p >= 0 && m.cur != nil && p < len(m.cur.parts)
	}
	s := m.segs[msn-m.segs[0].msn]
	if p < len(s.parts) {
		return true
	}
	// A part index beyond a segment's last part means the first part of
	// the segment after it.
	return m.has(msn+1, 0)
}

// File returns the init segment, a segment or a part, by the name the
// playlist gives it. The part the playlist hints at (EXT-X-PRELOAD-HINT),
// and the segment being made, are waited for like a blocking reload; other
// parts and segments not made yet give ErrNotFound, and those that left
// the playlist ErrGone.
func (m *Muxer) File(ctx context.Context, name string) ([]byte, error) {
	rest, ok := strings.CutSuffix(name, ".mp4")
	session, rest, ok2 := strings.Cut(rest, "-")
	if !ok || !ok2 || session != m.session {
		return nil, fmt.Errorf("%w: %q is not a file of this stream (the stream restarts when the camera does: reload the playlist)", ErrNotFound, name)
	}
	if rest == "init" {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.init == nil { // made before any playlist names it
			return nil, fmt.Errorf("%w: no picture yet", ErrNotFound)
		}
		return m.init, nil
	}
	msnText, partText, isPart := strings.Cut(rest, ".")
	msn, err := strconv.ParseUint(msnText, 10, 64)
	p := -1
	if err == nil && isPart {
		var n uint64
		n, err = strconv.ParseUint(partText, 10, 16)
		p = int(n)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not a file of this stream", ErrNotFound, name)
	}
	var out []byte
	err = m.wait(ctx, func(first bool) (bool, error) {
		if msn < m.firstMSN || len(m.segs) > 0 && msn < m.segs[0].msn {
			return false, fmt.Errorf("%w: %s has left the playlist", ErrGone, name)
		}
		if msn < m.nextMSN {
			s := m.segs[msn-m.segs[0].msn]
			if p < 0 {
				out = s.data
				return true, nil
			}
			if p < len(s.parts) {
				out = s.parts[p].data
				return true, nil
			}
			return false, fmt.Errorf("%w: segment %d has %d parts", ErrNotFound, msn, len(s.parts))
		}
		n := 0
		if m.cur != nil {
			n = len(m.cur.parts)
		}
		switch {
		case msn == m.nextMSN && p >= 0 && p < n:
			out = m.cur.parts[p].data
			return true, nil
		case msn == m.nextMSN && (p < 0 || p == n):
			return false, nil // being made: wait
		case first:
			return false, fmt.Errorf("%w: %s is not made yet", ErrNotFound, name)
		}
		return false, nil
	})
	return out, err
}

// wait calls ready under mu until it reports done or an error, each time
// something is added, bounded by ctx and by the Muxer's bound. first is
// true on the first call.
func (m *Muxer) wait(ctx context.Context, ready func(first bool) (bool, error)) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var expired <-chan time.Time
	counted := false
	defer func() {
		if counted {
			m.mu.Lock()
			m.waiting--
			m.mu.Unlock()
		}
	}()
	for first := true; ; first = false {
		m.mu.Lock()
		if m.err != nil {
			m.mu.Unlock()
			return m.err
		}
		ok, err := ready(first)
		if ok || err != nil {
			m.mu.Unlock()
			return err
		}
		if !counted {
			if m.waiting >= MaxWaiting {
				m.mu.Unlock()
				return ErrBusy
			}
			m.waiting++
			counted = true
			bound := startWait
			if m.target > 0 {
				bound = 3 * time.Duration(m.target) * time.Second
			}
			timer = time.NewTimer(bound)
			expired = timer.C
		}
		changed := m.changed
		m.mu.Unlock()
		select {
		case <-changed:
		case <-expired:
			return ErrTimeout
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
