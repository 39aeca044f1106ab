// Command whep-reference is the yardstick framecast's WebRTC fan-out is
// measured against (docs/whepfanout.sh): a minimal pion broadcaster that
// answers WHEP offers (POST an SDP offer, 201 with the answer; DELETE the
// Location ends the session) with one shared TrackLocalStaticSample fed
// with the Annex-B H.264 on its stdin, one sample per access unit. It keeps
// pion's defaults (RegisterDefaultCodecs, RegisterDefaultInterceptors, a
// UDP socket per session); it only offers loopback candidates, without
// mDNS, as the benchmark runs on loopback. It sends no picture again on a
// PLI: a viewer starts at the camera's next IDR picture.
//
//	ffmpeg -re -f lavfi -i testsrc2=size=640x480:rate=30 -c:v libx264 -f h264 - |
//		whep-reference -listen 127.0.0.1:18082
package main

import (
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/framecast/framecast/pkg/h264"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18082", "HTTP `address` of the WHEP endpoint (any path)")
	flag.Parse()

	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		log.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		log.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))

	track, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264}, "video", "reference")
	if err != nil {
		log.Fatal(err)
	}
	go feed(track, os.Stdin)

	var mu sync.Mutex
	sessions := map[string]*webrtc.PeerConnection{}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			offer, _ := io.ReadAll(r.Body)
			pc, answer, err := answer(api, track, string(offer))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			id := rand.Text()
			mu.Lock()
			sessions[id] = pc
			mu.Unlock()
			pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
				if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
					mu.Lock()
					delete(sessions, id)
					mu.Unlock()
					pc.Close()
				}
			})
			w.Header().Set("Content-Type", "application/sdp")
			w.Header().Set("Location", "/session/"+id)
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, answer)
		case http.MethodDelete:
			id := strings.TrimPrefix(r.URL.Path, "/session/")
			mu.Lock()
			pc := sessions[id]
			delete(sessions, id)
			mu.Unlock()
			if pc == nil {
				http.NotFound(w, r)
				return
			}
			pc.Close()
		default:
			http.Error(w, "POST an SDP offer", http.StatusMethodNotAllowed)
		}
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}

// answer makes a peer connection that sends track to the offerer.
func answer(api *webrtc.API, track webrtc.TrackLocal, offer string) (*webrtc.PeerConnection, string, error) {
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, "", err
	}
	sender, err := pc.AddTrack(track)
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	// Reading RTCP runs the interceptors (NACKs are answered there).
	go func() {
		buf := make([]byte, 1500)
		for {
			if _, _, err := sender.Read(buf); err != nil {
				return
			}
		}
	}()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		pc.Close()
		return nil, "", err
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		pc.Close()
		return nil, "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		pc.Close()
		return nil, "", err
	}
	<-gathered
	return pc, pc.LocalDescription().SDP, nil
}

// feed writes each access unit of the Annex-B stream r to track as one
// sample, timed by its arrival, until r ends.
func feed(track *webrtc.TrackLocalStaticSample, r io.Reader) {
	sp := h264.NewSplitter(r, 0)
	last := time.Now()
	for {
		au, err := sp.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				fmt.Fprintln(os.Stderr, "whep-reference:", err)
			}
			os.Exit(1)
		}
		now := time.Now()
		track.WriteSample(media.Sample{Data: au.Data, Duration: now.Sub(last)})
		last = now
	}
}
