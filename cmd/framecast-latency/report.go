package main

import (
	"fmt"
	"io"
	"math"
	"slices"
)

// sample is one picture shown in the browser whose stamp was read.
type sample struct {
	stamp int64
	shown float64 // latency in ms: stamp to the picture shown
	// recv, for WebRTC, splits shown in two: stamp to the last packet of
	// the picture received (encode, framecast, network) and the rest
	// (jitter buffer, decode, render); NaN when the browser gave no time.
	recv float64
}

// samples reads the stamps of st's pictures, keeping the first sighting
// of each, and counts the pictures whose stamp could not be read.
func samples(st probeState) (out []sample, unreadable int) {
	seen := map[int64]bool{}
	for _, f := range st.Frames {
		ms, err := decode(f.Cells)
		if err != nil {
			unreadable++
			continue
		}
		if seen[ms] {
			continue
		}
		seen[ms] = true
		s := sample{stamp: ms, shown: f.At - float64(ms), recv: math.NaN()}
		if f.Recv != nil && *f.Recv > 0 {
			s.recv = st.Origin + *f.Recv - float64(ms)
		}
		out = append(out, s)
	}
	return out, unreadable
}

// dist is the distribution of some values: their count, median, 90th
// percentile and maximum.
type dist struct {
	n                int
	median, p90, max float64
}

func distOf(v []float64) dist {
	v = slices.DeleteFunc(slices.Clone(v), math.IsNaN)
	if len(v) == 0 {
		return dist{}
	}
	slices.Sort(v)
	return dist{n: len(v), median: quantile(v, 0.5), p90: quantile(v, 0.9), max: v[len(v)-1]}
}

// quantile is the q-quantile of sorted v, interpolated between ranks.
func quantile(v []float64, q float64) float64 {
	r := q * float64(len(v)-1)
	i := int(r)
	if i+1 >= len(v) {
		return v[len(v)-1]
	}
	return v[i] + (r-float64(i))*(v[i+1]-v[i])
}

func (d dist) String() string {
	if d.n == 0 {
		return "no values"
	}
	return fmt.Sprintf("median %.0f, p90 %.0f, max %.0f ms (n=%d)", d.median, d.p90, d.max, d.n)
}

// A steadyRun is one tab's pictures after its warm-up, and its inbound
// WebRTC statistics (nil for MJPEG) before and after them.
type steadyRun struct {
	st            probeState
	before, after rtcStats
}

// steadyReport writes the latency figures of one camera's steady runs.
// Each run is a new tab: where a picture lands between the display's
// refreshes (60 Hz) stays about the same for as long as a tab plays, and
// moves a run's median by up to a refresh, so several runs are pooled.
func steadyReport(w io.Writer, label string, runs []steadyRun) {
	var shown, recv, rest, medians []float64
	bad, span := 0, 0.0
	delta := rtcStats{}
	for _, r := range runs {
		ss, b := samples(r.st)
		bad += b
		var mine []float64
		for _, s := range ss {
			mine = append(mine, s.shown)
			recv = append(recv, s.recv)
			rest = append(rest, s.shown-s.recv)
		}
		shown = append(shown, mine...)
		medians = append(medians, distOf(mine).median)
		if f := r.st.Frames; len(f) > 1 {
			span += (f[len(f)-1].At - f[0].At) / 1000
		}
		for k, v := range r.after {
			delta[k] += v - r.before[k]
		}
	}
	fmt.Fprintf(w, "%s: stamp to picture shown: %v; %.1f pictures/s shown, %d unreadable\n", label, distOf(shown), float64(len(shown))/span, bad)
	if len(medians) > 1 {
		fmt.Fprintf(w, "  medians of the %d tabs: %.0f ms\n", len(medians), medians)
	}
	if d := distOf(recv); d.n > 0 {
		fmt.Fprintf(w, "  stamp to its last packet received (encode, framecast, network): %v\n", d)
		fmt.Fprintf(w, "  received to shown (jitter buffer, decode, render): %v\n", distOf(rest))
	}
	d := func(k string) float64 { return delta[k] }
	per := func(k, n string) float64 { return 1000 * d(k) / d(n) }
	if d("framesDecoded") > 0 && d("jitterBufferEmittedCount") > 0 {
		fmt.Fprintf(w, "  getStats over the runs: jitter buffer %.1f ms a picture (target %.1f, minimum %.1f), assembly %.1f ms, decode %.1f ms, first packet to decoded %.1f ms; %v decoded, %v dropped, %v freezes, %v packets lost, %v NACKs, %v PLIs\n",
			per("jitterBufferDelay", "jitterBufferEmittedCount"), per("jitterBufferTargetDelay", "jitterBufferEmittedCount"),
			per("jitterBufferMinimumDelay", "jitterBufferEmittedCount"), per("totalAssemblyTime", "framesDecoded"),
			per("totalDecodeTime", "framesDecoded"), per("totalProcessingDelay", "framesDecoded"),
			d("framesDecoded"), d("framesDropped"), d("freezeCount"), d("packetsLost"), d("nackCount"), d("pliCount"))
	}
}

// A join is what one new viewer saw: the page times (ms since navigation
// started) of its steps, NaN where a step did not happen, and the latency
// of its first picture.
type join struct {
	steps    [len(stepNames)]float64
	firstAge float64
	stats    rtcStats // WebRTC's inbound statistics at the end
}

// The steps of a join, in the order they happen.
const (
	stepDOM       = iota // the page's HTML parsed
	stepStatus           // the first status answer (which camera is which codec)
	stepStatusJS         // that answer reached the page's code
	stepPlayer           // the player started: peer connection made, or <img> src set
	stepGathered         // ICE gathering complete
	stepPOST             // the WHEP POST sent
	stepAnswer           // its answer received
	stepConnected        // ICE and DTLS connected
	stepReceived         // the first picture shown had all its packets
	stepFirst            // the first picture shown
	stepLive             // the first picture under liveAge old shown
)

var stepNames = [...]string{"HTML parsed", "status answered", "status read by the page", "player started", "ICE gathered", "WHEP POST sent",
	"WHEP answer received", "connected (ICE, DTLS)", "first picture received", "first picture shown", "first picture under 200 ms old"}

// liveAge is the latency under which a picture counts as live (stepLive).
const liveAge = 200

func joinOf(st probeState) join {
	nan := math.NaN()
	var j join
	for i := range j.steps {
		j.steps[i] = nan
	}
	j.firstAge = nan
	at := func(k string) float64 {
		if v, ok := st.T[k]; ok {
			return v
		}
		return nan
	}
	j.steps[stepDOM] = at("dom")
	if st.Status != nil {
		j.steps[stepStatus] = st.Status.End
	}
	j.steps[stepStatusJS] = at("statusJS")
	j.steps[stepPlayer] = at("pc")
	if math.IsNaN(j.steps[stepPlayer]) {
		j.steps[stepPlayer] = at("src")
	}
	j.steps[stepGathered] = at("gathered")
	if st.POST != nil {
		j.steps[stepPOST], j.steps[stepAnswer] = st.POST.Start, st.POST.End
	}
	j.steps[stepConnected] = at("connected")
	if len(st.Frames) == 0 {
		return j
	}
	j.steps[stepFirst] = st.Frames[0].Perf
	if r := st.Frames[0].Recv; r != nil && *r > 0 {
		j.steps[stepReceived] = *r
	}
	for i, f := range st.Frames {
		ms, err := decode(f.Cells)
		if err != nil {
			continue
		}
		age := f.At - float64(ms)
		if i == 0 {
			j.firstAge = age
		}
		if age <= liveAge {
			j.steps[stepLive] = f.Perf
			break
		}
	}
	return j
}

// joinReport writes the figures of a camera's joins: when each step
// happened after navigation started, and the intervals that matter.
func joinReport(w io.Writer, label string, js []join) {
	col := func(f func(join) float64) dist {
		var v []float64
		for _, j := range js {
			v = append(v, f(j))
		}
		return distOf(v)
	}
	fmt.Fprintf(w, "%s, %d new viewers, ms after navigation started:\n", label, len(js))
	for i, name := range stepNames {
		if d := col(func(j join) float64 { return j.steps[i] }); d.n > 0 {
			fmt.Fprintf(w, "  %-32s %v\n", name+":", d)
		}
	}
	between := func(what string, from, to int) {
		if d := col(func(j join) float64 { return j.steps[to] - j.steps[from] }); d.n > 0 {
			fmt.Fprintf(w, "  %-32s %v\n", what+":", d)
		}
	}
	between("player start to first picture", stepPlayer, stepFirst)
	between("WHEP POST to first picture", stepPOST, stepFirst)
	between("connected to first picture", stepConnected, stepFirst)
	between("received to shown (first picture)", stepReceived, stepFirst)
	fmt.Fprintf(w, "  %-32s %v\n", "age of the first picture:", col(func(j join) float64 { return j.firstAge }))
	sum := rtcStats{}
	for _, j := range js {
		for k, v := range j.stats {
			sum[k] += v
		}
	}
	if len(sum) > 0 {
		fmt.Fprintf(w, "  over all joins: %v pictures decoded, %v dropped, %v packets lost, %v NACKs, %v PLIs, %v freezes\n",
			sum["framesDecoded"], sum["framesDropped"], sum["packetsLost"], sum["nackCount"], sum["pliCount"], sum["freezeCount"])
	}
}

// traceJoin writes one join's steps, its pictures' page times and ages,
// and its statistics.
func traceJoin(w io.Writer, label string, st probeState, stats rtcStats) {
	j := joinOf(st)
	fmt.Fprintf(w, "%s:", label)
	for i, name := range stepNames {
		if !math.IsNaN(j.steps[i]) {
			fmt.Fprintf(w, " %s %.0f;", name, j.steps[i])
		}
	}
	fmt.Fprintf(w, "\n  pictures (shown at, received at, age):")
	for _, f := range st.Frames {
		age := math.NaN()
		if ms, err := decode(f.Cells); err == nil {
			age = f.At - float64(ms)
		}
		recv := math.NaN()
		if f.Recv != nil {
			recv = *f.Recv
		}
		fmt.Fprintf(w, " %.0f/%.0f/%.0f", f.Perf, recv, age)
	}
	fmt.Fprintf(w, "\n  stats: %v\n", stats)
}
