package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
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
	LoadBefore string             `json:"loadavg_before"`
	LoadAfter  string             `json:"loadavg_after"`
	Reference  *result            `json:"reference,omitempty"`
	Framecast  *result            `json:"framecast,omitempty"`
	Ratio      map[string]float64 `json:"ratio,omitempty"`
}

// measure opens c.n viewers on t, waits for the warm-up, measures for
// c.duration and closes them all.
func measure(ctx context.Context, c *config, t target, pid int, name string) (*result, error) {
	win := newWindow()
	viewers := make([]*viewer, c.n)
	errs := make([]error, c.n)
	var wg, dialed sync.WaitGroup
	sem := make(chan struct{}, c.dialParallel)
	for i := range viewers {
		v := &viewer{t: t, fps: c.fps, win: win}
		if i < c.slow {
			v.slowRate = c.slowRate
			v.st.slow = true
		}
		viewers[i] = v
		wg.Add(1)
		dialed.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			once := sync.OnceFunc(func() { <-sem; dialed.Done() })
			v.onConnected = once
			errs[i] = v.run()
			once()
		}()
	}
	dialed.Wait()
	stopped := func() bool {
		select {
		case <-ctx.Done():
			return true
		case <-time.After(c.warmup):
			return false
		}
	}
	if stopped() {
		win.stop()
		wg.Wait()
		return nil, ctx.Err()
	}
	var cpu0 time.Duration
	var peak int64
	sampleMem := func() {
		if pid == 0 {
			return
		}
		if rss, _, err := memory(pid); err == nil && rss > peak {
			peak = rss
		}
	}
	if pid != 0 {
		var err error
		if cpu0, err = cpuTime(pid); err != nil {
			win.stop()
			wg.Wait()
			return nil, err
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
	secs := time.Since(begin).Seconds()
	self := selfCPU() - self0
	r := &result{Server: name, ClientCPUms: float64(self.Milliseconds())}
	if pid != 0 {
		cpu1, err := cpuTime(pid)
		if err != nil {
			wg.Wait()
			return nil, err
		}
		sampleMem()
		_, hwm, _ := memory(pid)
		r.CPUms = float64((cpu1 - cpu0).Milliseconds())
		r.RSSMaxMB, r.HWMMB = float64(peak)/(1<<20), float64(hwm)/(1<<20)
	}
	wg.Wait()
	var fastFPS, slowFPS []float64
	var lat, slowFirst, slowDone []float32
	var payload int64
	union := map[int64]struct{}{}
	for _, v := range viewers {
		for _, s := range v.st.stamps {
			union[s] = struct{}{}
		}
	}
	all := make([]int64, 0, len(union))
	for s := range union {
		all = append(all, s)
	}
	slices.Sort(all)
	r.Published = float64(len(all)) / secs
	for i, v := range viewers {
		if errs[i] != nil {
			r.Failures++
			continue
		}
		if v.st.failed {
			r.Failures++
		}
		r.Connected++
		payload += v.st.bytes
		fps := float64(v.st.frames) / secs
		if v.st.slow {
			slowFPS = append(slowFPS, fps)
			slowFirst = append(slowFirst, v.st.first...)
			slowDone = append(slowDone, v.st.lat...)
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
	r.MBps = float64(payload) / 1e6 / secs
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
		r.SlowDoneP50 = pct(slowDone, 50)
	}
	return r, nil
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
	fmt.Fprintf(w, "%d viewers (%d slow at %d B/s), %gs measured, source %g fps, loadavg %s -> %s\n",
		rep.N, rep.Slow, rep.SlowRate, rep.Seconds, rep.FPS, rep.LoadBefore, rep.LoadAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tconn\tfail\tpub fps\tfps min\tfps med\tdups\tskipped\tMB/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\tCPU ms/MB\tRSS MB\tslow fps\tslow age p50\tclient CPU ms\t")
	for _, r := range []*result{rep.Reference, rep.Framecast} {
		if r == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.1f\t%.3f\t%.1f\t%.1f\t%.0f\t%.0f\t\n",
			r.Server, r.Connected, r.Failures, r.Published, r.FPSMin, r.FPSMedian, r.Dups, r.Skipped, r.MBps,
			r.LatP50, r.LatP95, r.LatP99, r.LatMax, r.CPUmsPerMB, r.RSSMaxMB, r.SlowFPS, r.SlowAgeP50, r.ClientCPUms)
	}
	tw.Flush()
	if rep.Ratio != nil {
		fmt.Fprintf(w, "framecast/reference: CPU per MB %.2fx, p50 latency +%.2f ms, p99 %.2fx, RSS %.2fx\n",
			rep.Ratio["cpu_ms_per_mb"], rep.Ratio["lat_p50_added_ms"], rep.Ratio["lat_p99_ms"], rep.Ratio["rss_max_mb"])
	}
}
