package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/framecast/framecast/internal/procstat"
)

// result is what one measured server delivered in the window.
type result struct {
	Server      string  `json:"server"`
	Connected   int     `json:"connected"`
	Failures    int     `json:"failures"`
	FPSMin      float64 `json:"fps_min"`    // distinct frames per second, slowest fast viewer
	FPSMedian   float64 `json:"fps_median"` // distinct frames per second, median fast viewer
	Dups        int64   `json:"duplicates"`
	Skipped     int64   `json:"skipped"`       // frames some viewer got that a fast viewer missed
	Published   float64 `json:"published_fps"` // distinct frames per second any viewer got
	MBps        float64 `json:"mb_per_s"`      // JPEG payload delivered to all viewers, 1e6 bytes/s
	LatP50      float64 `json:"lat_p50_ms"`
	LatP95      float64 `json:"lat_p95_ms"`
	LatP99      float64 `json:"lat_p99_ms"`
	LatMax      float64 `json:"lat_max_ms"`
	SlowFPS     float64 `json:"slow_fps_median,omitempty"`
	SlowAgeP50  float64 `json:"slow_age_p50_ms,omitempty"` // frame's age when its part starts arriving
	SlowAgeMax  float64 `json:"slow_age_max_ms,omitempty"`
	SlowDoneP50 float64 `json:"slow_done_p50_ms,omitempty"` // frame's age when its last byte arrived
	SlowDoneP95 float64 `json:"slow_done_p95_ms,omitempty"`
	SlowDoneMax float64 `json:"slow_done_max_ms,omitempty"`
	SlowBytes   float64 `json:"slow_bytes_per_frame,omitempty"` // mean JPEG bytes of a frame a slow viewer got
	CPUms       float64 `json:"cpu_ms,omitempty"`
	CPUmsPerMB  float64 `json:"cpu_ms_per_mb,omitempty"`
	RSSMaxMB    float64 `json:"rss_max_mb,omitempty"`
	HWMMB       float64 `json:"vmhwm_mb,omitempty"`
	ClientCPUms float64 `json:"client_cpu_ms"`
}

// report is the whole run: the reference, framecast and their ratios.
type report struct {
	Label      string             `json:"label,omitempty"`
	Date       string             `json:"date"`
	N          int                `json:"n"`
	Slow       int                `json:"slow"`
	SlowRate   int                `json:"slow_rate"`
	FPS        float64            `json:"source_fps"`
	Seconds    float64            `json:"seconds"`
	Rounds     int                `json:"rounds"`
	LoadBefore string             `json:"loadavg_before"`
	LoadAfter  string             `json:"loadavg_after"`
	Reference  *result            `json:"reference,omitempty"`
	Framecast  *result            `json:"framecast,omitempty"`
	Ratio      map[string]float64 `json:"ratio,omitempty"`
}

// round is what one measuring round of one server collected.
type round struct {
	viewers []*viewer
	errs    []error
	secs    float64
	cpu     time.Duration
	peak    int64 // highest VmRSS seen, bytes
	hwm     int64
	self    time.Duration
}

// collect opens c.n viewers on t, waits for the warm-up, measures for
// c.duration and closes them all.
func collect(ctx context.Context, c *config, t target, pid int) (*round, error) {
	win := newWindow()
	rd := &round{viewers: make([]*viewer, c.n), errs: make([]error, c.n)}
	var wg, dialed sync.WaitGroup
	sem := make(chan struct{}, c.dialParallel)
	for i := range rd.viewers {
		v := &viewer{t: t, fps: c.fps, win: win}
		if i < c.slow {
			v.st.slow = true
			if c.slowPort > 0 {
				v.localPort = c.slowPort + i
			} else {
				v.slowRate = c.slowRate
			}
		}
		rd.viewers[i] = v
		wg.Add(1)
		dialed.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			once := sync.OnceFunc(func() { <-sem; dialed.Done() })
			v.onConnected = once
			rd.errs[i] = v.run()
			once()
		}()
	}
	dialed.Wait()
	abort := func(err error) (*round, error) {
		win.stop()
		wg.Wait()
		return nil, err
	}
	select {
	case <-ctx.Done():
		return abort(ctx.Err())
	case <-time.After(c.warmup):
	}
	sampleMem := func() {
		if pid == 0 {
			return
		}
		if rss, _, err := procstat.Memory(pid); err == nil && rss > rd.peak {
			rd.peak = rss
		}
	}
	var cpu0 time.Duration
	if pid != 0 {
		var err error
		if cpu0, err = procstat.CPU(pid); err != nil {
			return abort(err)
		}
	}
	self0 := selfCPU()
	begin := time.Now()
	win.start()
	tick := time.NewTicker(250 * time.Millisecond)
	deadline := time.NewTimer(c.duration)
	sampleMem()
loop:
	for {
		select {
		case <-tick.C:
			sampleMem()
		case <-deadline.C:
			break loop
		case <-ctx.Done():
			break loop
		}
	}
	tick.Stop()
	win.stop()
	rd.secs = time.Since(begin).Seconds()
	rd.self = selfCPU() - self0
	if pid != 0 {
		cpu1, err := procstat.CPU(pid)
		if err != nil {
			wg.Wait()
			return nil, err
		}
		sampleMem()
		_, rd.hwm, _ = procstat.Memory(pid)
		rd.cpu = cpu1 - cpu0
	}
	wg.Wait()
	return rd, nil
}

// summarize pools the rounds of one server into its result.
func summarize(name string, rounds []*round) *result {
	r := &result{Server: name}
	var fastFPS, slowFPS []float64
	var lat, slowFirst, slowDone []float32
	var payload, slowBytes, slowFrames int64
	var secs float64
	var cpu, self time.Duration
	for _, rd := range rounds {
		secs += rd.secs
		cpu += rd.cpu
		self += rd.self
		r.RSSMaxMB = max(r.RSSMaxMB, float64(rd.peak)/(1<<20))
		r.HWMMB = max(r.HWMMB, float64(rd.hwm)/(1<<20))
		union := map[int64]struct{}{}
		for _, v := range rd.viewers {
			for _, s := range v.st.stamps {
				union[s] = struct{}{}
			}
		}
		all := make([]int64, 0, len(union))
		for s := range union {
			all = append(all, s)
		}
		slices.Sort(all)
		r.Published += float64(len(all)) / rd.secs / float64(len(rounds))
		for i, v := range rd.viewers {
			if rd.errs[i] != nil {
				r.Failures++
				continue
			}
			if v.st.failed {
				r.Failures++
			}
			r.Connected++
			payload += v.st.bytes
			fps := float64(v.st.frames) / rd.secs
			if v.st.slow {
				slowFPS = append(slowFPS, fps)
				slowFirst = append(slowFirst, v.st.first...)
				slowDone = append(slowDone, v.st.lat...)
				slowBytes += v.st.bytes
				slowFrames += v.st.frames
				continue
			}
			fastFPS = append(fastFPS, fps)
			r.Dups += v.st.dups
			if n := len(v.st.stamps); n > 0 {
				lo, _ := slices.BinarySearch(all, v.st.stamps[0])
				hi, _ := slices.BinarySearch(all, v.st.stamps[n-1])
				r.Skipped += int64(hi-lo+1) - int64(n)
			}
			lat = append(lat, v.st.lat...)
		}
	}
	r.Connected /= len(rounds)
	r.MBps = float64(payload) / 1e6 / secs
	r.CPUms = float64(cpu.Milliseconds())
	r.ClientCPUms = float64(self.Milliseconds())
	if r.CPUms > 0 && payload > 0 {
		r.CPUmsPerMB = r.CPUms / (float64(payload) / 1e6)
	}
	if len(fastFPS) > 0 {
		slices.Sort(fastFPS)
		r.FPSMin, r.FPSMedian = fastFPS[0], fastFPS[len(fastFPS)/2]
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.LatP50, r.LatP95, r.LatP99, r.LatMax = pct(lat, 50), pct(lat, 95), pct(lat, 99), float64(lat[len(lat)-1])
	}
	if len(slowFPS) > 0 {
		slices.Sort(slowFPS)
		r.SlowFPS = slowFPS[len(slowFPS)/2]
	}
	if len(slowFirst) > 0 {
		slices.Sort(slowFirst)
		slices.Sort(slowDone)
		r.SlowAgeP50, r.SlowAgeMax = pct(slowFirst, 50), float64(slowFirst[len(slowFirst)-1])
		r.SlowDoneP50, r.SlowDoneP95, r.SlowDoneMax = pct(slowDone, 50), pct(slowDone, 95), float64(slowDone[len(slowDone)-1])
	}
	if slowFrames > 0 {
		r.SlowBytes = float64(slowBytes) / float64(slowFrames)
	}
	return r
}

func pct(sorted []float32, p float64) float64 {
	i := int(float64(len(sorted)-1) * p / 100)
	return float64(sorted[i])
}

// ratios divides framecast's figures by the reference's.
func ratios(f, r *result) map[string]float64 {
	m := map[string]float64{}
	add := func(k string, a, b float64) {
		if b != 0 {
			m[k] = round3(a / b)
		}
	}
	add("cpu_ms_per_mb", f.CPUmsPerMB, r.CPUmsPerMB)
	add("fps_median", f.FPSMedian, r.FPSMedian)
	add("lat_p50_ms", f.LatP50, r.LatP50)
	add("lat_p99_ms", f.LatP99, r.LatP99)
	add("rss_max_mb", f.RSSMaxMB, r.RSSMaxMB)
	m["lat_p50_added_ms"] = round3(f.LatP50 - r.LatP50)
	return m
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

func printTable(w io.Writer, rep *report) {
	fmt.Fprintf(w, "%d viewers (%d slow at %d B/s), %gs measured per server in %d rounds, source %g fps, loadavg %s -> %s\n",
		rep.N, rep.Slow, rep.SlowRate, rep.Seconds, rep.Rounds, rep.FPS, rep.LoadBefore, rep.LoadAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tconn\tfail\tpub fps\tfps min\tfps med\tdups\tskipped\tMB/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\tCPU ms/MB\tRSS MB\tslow fps\tslow age p50\tslow done p50/p95/max\tclient CPU ms\t")
	for _, r := range []*result{rep.Reference, rep.Framecast} {
		if r == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.1f\t%.3f\t%.1f\t%.1f\t%.0f\t%s\t%.0f\t\n",
			r.Server, r.Connected, r.Failures, r.Published, r.FPSMin, r.FPSMedian, r.Dups, r.Skipped, r.MBps,
			r.LatP50, r.LatP95, r.LatP99, r.LatMax, r.CPUmsPerMB, r.RSSMaxMB, r.SlowFPS, r.SlowAgeP50,
			fmt.Sprintf("%.0f/%.0f/%.0f", r.SlowDoneP50, r.SlowDoneP95, r.SlowDoneMax), r.ClientCPUms)
	}
	tw.Flush()
	if rep.Ratio != nil {
		fmt.Fprintf(w, "framecast/reference: CPU per MB %.2fx, p50 latency +%.2f ms, p99 %.2fx, RSS %.2fx\n",
			rep.Ratio["cpu_ms_per_mb"], rep.Ratio["lat_p50_added_ms"], rep.Ratio["lat_p99_ms"], rep.Ratio["rss_max_mb"])
	}
}

// selfCPU returns the CPU time this process has used, to show the load tool
// is not the bottleneck.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
