// Command hls-load measures what N LL-HLS players cost framecast, with
// Debian's nginx as a caching proxy in front (deploy/nginx-framecast.conf)
// and without it.
//
// Every request reaching framecast passes a counting proxy of this command,
// so it reports the requests and bytes (headers included) per second
// framecast answered, and, with -pid, framecast's CPU; beside them every
// player's distance to live (how long after a part's last picture was
// taken the player had all of it), the players more than 3 s behind, the
// skips to the live edge (a player that falls behind skips ahead, as
// hls.js and Safari do) and the load average. Everything runs on
// 127.0.0.1; each run lasts -duration and stops by itself.
//
//	framecast -config cam.yaml -listen 127.0.0.1:8080 &   # an H.264 camera "door"
//	hls-load -url http://127.0.0.1:8080/cam/door/hls/index.m3u8 -pid $! -n 10,100,1000
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/framecast/framecast/internal/hls"
	"github.com/framecast/framecast/internal/procstat"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "hls-load:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("hls-load", flag.ContinueOnError)
	target := fs.String("url", "", "the playlist of an H.264 camera at framecast (http://127.0.0.1:8080/cam/NAME/hls/index.m3u8)")
	counts := fs.String("n", "10,100,1000", "the numbers of players, one run each")
	modes := fs.String("modes", "cache,direct", "cache: through nginx; direct: straight to framecast")
	duration := fs.Duration("duration", 20*time.Second, "how long each run lasts")
	pid := fs.Int("pid", 0, "framecast's process id, for its CPU")
	nginx := fs.String("nginx", "/usr/sbin/nginx", "nginx to run")
	conf := fs.String("conf", "deploy/nginx-framecast.conf", "the nginx configuration to run")
	profile := fs.String("cpuprofile", "", "write hls-load's own CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// A thousand players allocate a request and an answer each, ten times
	// a second: collecting less often leaves the cores to them.
	debug.SetGCPercent(400)
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-url %q: give framecast's playlist URL", *target)
	}
	host, _, err := net.SplitHostPort(u.Host)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("-url %q: framecast must be on a loopback address", *target)
	}
	if *duration <= 0 || *duration > 10*time.Minute {
		return fmt.Errorf("-duration %v: give 1s to 10m", *duration)
	}
	var ns []int
	for _, f := range strings.Split(*counts, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 5000 {
			return fmt.Errorf("-n %q: give numbers of players from 1 to 5000", *counts)
		}
		ns = append(ns, n)
	}
	c, err := startCounter(u.Host)
	if err != nil {
		return err
	}
	fmt.Printf("| players | path | requests/s at framecast | bytes/s at framecast | framecast CPU | distance to live p50 / p90 / max | players over 3 s | skips to live (players) | load average |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, mode := range strings.Split(*modes, ",") {
		front := c.addr
		var stopNginx func()
		switch mode {
		case "cache":
			front, stopNginx, err = startNginx(*nginx, *conf, c.addr)
			if err != nil {
				return err
			}
		case "direct":
		default:
			return fmt.Errorf("-modes: %q is neither cache nor direct", mode)
		}
		for _, n := range ns {
			pu := *u
			pu.Host = front
			r, err := measure(ctx, pu.String(), n, *duration, *pid, c)
			if err != nil {
				if stopNginx != nil {
					stopNginx()
				}
				return err
			}
			fmt.Printf("| %d | %s | %.0f | %.0f | %s | %s | %d | %d (%d) | %s |\n", n, mode, r.reqs, r.bytes, r.cpu, r.lag, r.late, r.skips, r.skipped, procstat.LoadAverage())
			if ctx.Err() != nil {
				break
			}
		}
		if stopNginx != nil {
			stopNginx()
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// result is one run's figures.
type result struct {
	reqs, bytes float64 // per second at framecast
	cpu         string
	lag         string
	late        int // players with a part more than 3 s behind live, or none
	skips       int // jumps to the live edge, of all players
	skipped     int // players that jumped
	partless    int // players that got no part
}

// measure runs n players for d and reports what reached framecast.
func measure(ctx context.Context, playlist string, n int, d time.Duration, pid int, c *counter) (result, error) {
	// A player warms the camera and its muxer up first, as the first
	// viewer would, so the run measures steady state.
	warm, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := (&hls.Player{URL: playlist}).Run(warm, 3)
	cancel()
	if err != nil {
		return result{}, fmt.Errorf("warming up: %w", err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: 0}}
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	req0, bytes0 := c.reqs.Load(), c.bytes.Load()
	cpu0, _ := procstat.CPU(pid)
	start := time.Now()
	var wg sync.WaitGroup
	players := make([]*hls.Player, n)
	errs := make([]error, n)
	for i := range players {
		players[i] = &hls.Player{URL: playlist, Client: client}
		wg.Go(func() { errs[i] = players[i].Run(rctx, 0) })
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	r := result{reqs: float64(c.reqs.Load()-req0) / secs, bytes: float64(c.bytes.Load()-bytes0) / secs, cpu: "-"}
	if pid > 0 {
		if cpu1, err := procstat.CPU(pid); err == nil {
			r.cpu = fmt.Sprintf("%.1f%%", 100*(cpu1-cpu0).Seconds()/secs)
		}
	}
	var all []time.Duration
	failed := 0
	for i, p := range players {
		if errs[i] != nil {
			failed++
			if failed == 1 {
				log.Printf("player %d: %v", i, errs[i])
			}
		}
		if p.Parts == 0 {
			r.partless++
			r.late++ // nowhere near live
		}
		r.skips += p.Skips
		if p.Skips > 0 {
			r.skipped++
		}
		// The first parts are older: a player starts a few parts behind.
		lags := p.Lag[min(len(p.Lag), 5):]
		all = append(all, lags...)
		if len(lags) > 0 && slices.Max(lags) > 3*time.Second {
			r.late++
		}
	}
	if failed > 0 {
		log.Printf("%d of %d players failed", failed, n)
	}
	if r.partless > 0 {
		log.Printf("%d of %d players got no part in the run: the machine could not start them all", r.partless, n)
	}
	slices.Sort(all)
	if len(all) > 0 {
		q := func(f float64) string { return all[int(f*float64(len(all)-1))].Round(10 * time.Millisecond).String() }
		r.lag = q(0.5) + " / " + q(0.9) + " / " + q(1)
	}
	return r, nil
}

// counter is a TCP proxy in front of framecast counting what passes: the
// requests (each ends its header with a blank line; a player's GET has no
// body) and the bytes of the answers, headers included. It only copies
// bytes, without parsing HTTP, so it costs little beside the players.
type counter struct {
	origin      string
	addr        string
	reqs, bytes atomic.Int64
}

func startCounter(origin string) (*counter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &counter{origin: origin, addr: ln.Addr().String()}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.serve(conn.(*net.TCPConn))
		}
	}()
	return c, nil
}

// serve passes one connection's requests to framecast and its answers back.
func (c *counter) serve(down *net.TCPConn) {
	defer down.Close()
	up, err := net.Dial("tcp", c.origin)
	if err != nil {
		return
	}
	defer up.Close()
	go func() {
		defer down.CloseWrite()
		buf := make([]byte, 32<<10)
		for {
			n, err := up.Read(buf)
			c.bytes.Add(int64(n))
			if n > 0 {
				if _, err := down.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 4<<10)
	end := []byte("\r\n\r\n")
	var last [3]byte // the stream's last three bytes so far
	for {
		n, err := down.Read(buf)
		if n > 0 {
			reqs := bytes.Count(buf[:n], end)
			// A blank line split across two reads.
			var join [6]byte
			copy(join[:3], last[:])
			k := copy(join[3:], buf[:n])
			reqs += bytes.Count(join[:3+k], end) - bytes.Count(join[3:3+k], end)
			if n >= 3 {
				copy(last[:], buf[n-3:n])
			} else {
				copy(last[:], join[k:3+k])
			}
			c.reqs.Add(int64(reqs))
			if _, err := up.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			up.(*net.TCPConn).CloseWrite()
			return
		}
	}
}

// startNginx runs nginx with conf in front of origin, in a temporary
// directory, and returns its address.
func startNginx(bin, conf, origin string) (string, func(), error) {
	b, err := os.ReadFile(conf)
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "hls-load-nginx")
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	listen := ln.Addr().String()
	ln.Close()
	server := strings.NewReplacer("server 127.0.0.1:8080;", "server "+origin+";", "listen 80;", "listen "+listen+";",
		"/var/cache/nginx/framecast", filepath.Join(dir, "cache")).Replace(string(b))
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	full := fmt.Sprintf("daemon off;\n%s\nworker_processes auto;\npid %[2]s/nginx.pid;\nerror_log %[2]s/error.log warn;\n"+
		"worker_rlimit_nofile 20000;\nevents { worker_connections 10000; }\nhttp {\naccess_log off;\n"+
		"client_body_temp_path %[2]s/body;\nproxy_temp_path %[2]s/proxy;\nfastcgi_temp_path %[2]s/fastcgi;\n"+
		"uwsgi_temp_path %[2]s/uwsgi;\nscgi_temp_path %[2]s/scgi;\n%[3]s\n}\n", user, dir, server)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(full), 0o644); err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		os.RemoveAll(dir)
	}
	for range 500 {
		if c, err := net.Dial("tcp", listen); err == nil {
			c.Close()
			return listen, stop, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	return "", nil, errors.New("nginx does not listen; see its error log")
}
