package fake

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// NginxCacheConf is the nginx configuration in front of framecast that
// README's "More viewers than one machine" shows and the tests run: a
// cache that keeps what framecast's Cache-Control allows, and sends one
// request upstream for many identical ones (proxy_cache_lock). ORIGIN,
// LISTEN and DIR are filled in.
const NginxCacheConf = `
upstream framecast {
    server ORIGIN;
    keepalive 32;
}
proxy_cache_path DIR/cache levels=1:2 keys_zone=framecast:10m max_size=1g inactive=1m use_temp_path=off;
server {
    listen LISTEN;
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    location / {
        proxy_pass http://framecast;
        proxy_buffering off; # MJPEG streams pass as they come
    }
    location ~ /hls/ {
        proxy_pass http://framecast;
        proxy_cache framecast;
        # One request upstream for identical ones; the others wait for
        # its answer (a blocking playlist reload waits up to three target
        # durations at framecast).
        proxy_cache_lock on;
        proxy_cache_lock_timeout 10s;
        proxy_cache_lock_age 10s;
    }
}
`

// Nginx starts Debian's nginx (nginx-light) on 127.0.0.1 as the caching
// reverse proxy of NginxCacheConf in front of origin (host:port), with its
// files and error log in a temporary directory, and returns its base URL.
// It stops with the test. Without nginx the test is skipped, or failed in
// CI.
func Nginx(t testing.TB, origin string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx" // outside root's PATH
		if _, err := os.Stat(bin); err != nil {
			Tool(t, "nginx") // skips, or fails in CI
		}
	}
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := ln.Addr().String()
	ln.Close()
	server := strings.NewReplacer("ORIGIN", origin, "LISTEN", listen, "DIR", dir).Replace(NginxCacheConf)
	userLine := ""
	if os.Geteuid() == 0 {
		// Else root's workers run as nobody, who cannot write to dir.
		userLine = "user root;"
	}
	conf := fmt.Sprintf(`daemon off;
%[3]s
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
%[2]s
}
`, dir, server, userLine)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", filepath.Join(dir, "error.log"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt) // SIGINT: nginx's fast shutdown
		<-exited
		if b, _ := os.ReadFile(filepath.Join(dir, "error.log")); len(b) > 0 && t.Failed() {
			t.Logf("nginx error log:\n%s", b)
		}
	})
	deadline := time.Now().Add(time.Minute) // only stops a hung test
	for {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s", err, b)
		default:
		}
		c, err := net.Dial("tcp", listen)
		if err == nil {
			c.Close()
			return "http://" + listen
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %s", listen)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
