// Command framecast-whep measures WebRTC viewers of a framecast H.264
// camera: it opens N WHEP sessions with pion, on loopback, and reports per
// viewer the bytes per second of RTP received, the pictures per second,
// and how long after its offer each viewer had its first whole IDR picture
// (framecast sends the pictures since the last IDR first) beside how long
// it waited for the camera's next IDR picture, which is what a server
// without that GOP cache would have given it first. The viewers use pion's
// default interceptors, so they send receiver reports and NACKs as a
// browser does.
//
// With -pid it also reports the server's CPU time (user+system, from
// /proc) over the same window, its RSS at the window's end, and this
// tool's own CPU time, which is what the receivers cost.
//
//	framecast-whep -url http://127.0.0.1:8080/cam/door/whep -n 1 -duration 20s
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/framecast/framecast/internal/procstat"
	"github.com/framecast/framecast/pkg/h264"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

func main() {
	url := flag.String("url", "", "the camera's WHEP `URL` (http://127.0.0.1:8080/cam/NAME/whep)")
	n := flag.Int("n", 1, "number of viewers")
	d := flag.Duration("duration", 20*time.Second, "how long to measure, from 2 s after every viewer's first picture")
	pid := flag.Int("pid", 0, "the server's process `id`, to report its CPU time and RSS (0: not)")
	flag.Parse()
	if *url == "" {
		fmt.Fprintln(os.Stderr, "framecast-whep: -url is required")
		os.Exit(2)
	}
	vs := make([]*viewer, *n)
	var wg sync.WaitGroup
	// Four connect at once: framecast refuses a ninth unconnected session
	// from one address. A connected one waits for its first picture
	// outside that bound.
	sem := make(chan struct{}, 4)
	for i := range vs {
		vs[i] = &viewer{}
		wg.Go(func() {
			if err := vs[i].run(*url, sem); err != nil {
				fmt.Fprintf(os.Stderr, "framecast-whep: viewer %d: %v\n", i, err)
				os.Exit(1)
			}
		})
	}
	wg.Wait()
	// The window starts once the last viewer's catch-up (the GOP sent
	// before its first picture's successors) is over.
	time.Sleep(2 * time.Second)
	start := time.Now()
	b0 := make([]int64, len(vs))
	p0 := make([]int64, len(vs))
	g0 := make([]int64, len(vs))
	for i, v := range vs {
		b0[i], p0[i], g0[i] = v.bytes.Load(), v.pics.Load(), v.gaps.Load()
	}
	cpu0, self0 := cpu(*pid), cpu(os.Getpid())
	time.Sleep(*d)
	secs := time.Since(start).Seconds()
	cpu1, self1 := cpu(*pid), cpu(os.Getpid())
	var bps, pps []float64
	var first, next []time.Duration
	var gaps int64
	for i, v := range vs {
		bps = append(bps, float64(v.bytes.Load()-b0[i])/secs)
		pps = append(pps, float64(v.pics.Load()-p0[i])/secs)
		gaps += v.gaps.Load() - g0[i]
		first = append(first, v.first)
		if nk := time.Duration(v.nextKey.Load()); nk > 0 {
			next = append(next, nk)
		}
	}
	fmt.Printf("viewers %d, %.1f s: RTP bytes/s per viewer median %.0f (min %.0f, max %.0f); pictures/s median %.1f (min %.1f); packets missing at arrival %d\n",
		len(vs), secs, median(bps), slices.Min(bps), slices.Max(bps), median(pps), slices.Min(pps), gaps)
	fmt.Printf("first IDR picture after the offer: median %v (max %v); the camera's next IDR picture (no GOP cache): median %v of %d\n",
		medianD(first).Round(time.Millisecond), slices.Max(first).Round(time.Millisecond), medianD(next).Round(time.Millisecond), len(next))
	if *pid != 0 {
		rss, _, _ := procstat.Memory(*pid)
		fmt.Printf("server pid %d: CPU %.1f ms/s, RSS %.1f MB; receivers (this tool) CPU %.1f ms/s; loadavg %s\n",
			*pid, float64((cpu1-cpu0).Milliseconds())/secs, float64(rss)/1e6, float64((self1-self0).Milliseconds())/secs, procstat.LoadAverage())
	}
	for _, v := range vs {
		v.pc.Close()
		if v.session != "" {
			req, _ := http.NewRequest("DELETE", v.session, nil)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
}

// cpu returns the CPU time process pid has used, or 0 for pid 0.
func cpu(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	d, err := procstat.CPU(pid)
	if err != nil {
		fmt.Fprintln(os.Stderr, "framecast-whep:", err)
		os.Exit(1)
	}
	return d
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianD(x []time.Duration) time.Duration {
	if len(x) == 0 {
		return 0
	}
	s := slices.Clone(x)
	slices.Sort(s)
	return s[len(s)/2]
}

// viewer is one WHEP session.
type viewer struct {
	pc      *webrtc.PeerConnection
	session string
	first   time.Duration // from the offer to the first whole IDR picture
	nextKey atomic.Int64  // from the offer to the next IDR picture after it
	bytes   atomic.Int64  // RTP bytes, headers included
	pics    atomic.Int64
	gaps    atomic.Int64 // packets missing when a later one arrived
}

// run connects, holding a place in sem until connected, and returns once
// the first IDR picture is in.
func (v *viewer) run(url string, sem chan struct{}) error {
	sem <- struct{}{}
	held := true
	defer func() {
		if held {
			<-sem
		}
	}()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return err
	}
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return err
	}
	v.pc = pc
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		return err
	}
	gotFirst := make(chan struct{})
	var t0 time.Time
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		var pkt codecs.H264Packet
		var au []byte
		keys := 0
		var next uint16 // the sequence number expected
		seen := false
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			// A later packet counts the ones skipped; a late one (a
			// retransmission) moves nothing back.
			if d := p.SequenceNumber - next; !seen || d < 1<<15 {
				if seen {
					v.gaps.Add(int64(d))
				}
				next, seen = p.SequenceNumber+1, true
			}
			v.bytes.Add(int64(p.MarshalSize()))
			b, err := pkt.Unmarshal(p.Payload)
			if err == nil {
				au = append(au, b...)
			}
			if !p.Marker {
				continue
			}
			v.pics.Add(1)
			key := slices.ContainsFunc(h264.NALUnits(au), func(n []byte) bool { return h264.NALType(n) == h264.NALSliceIDR })
			au = au[:0]
			switch {
			case key && keys == 0:
				v.first = time.Since(t0)
				close(gotFirst)
			case key && keys > 0 && v.nextKey.Load() == 0 && time.Since(t0) > v.first+50*time.Millisecond:
				v.nextKey.Store(int64(time.Since(t0)))
			case !key && keys == 0:
				pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(tr.SSRC())}})
			}
			if key {
				keys++
			}
		}
	})
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	t0 = time.Now()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return err
	}
	<-gathered
	resp, err := http.Post(url, "application/sdp", strings.NewReader(pc.LocalDescription().SDP))
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, answer)
	}
	if loc, err := resp.Request.URL.Parse(resp.Header.Get("Location")); err == nil {
		v.session = loc.String()
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	select {
	case <-connected:
		<-sem
		held = false
	case <-ctx.Done():
		return fmt.Errorf("not connected within a minute")
	}
	select {
	case <-gotFirst:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no IDR picture within a minute")
	}
}
