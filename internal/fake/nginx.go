package fake

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// nginxConf is deploy/NAME, a configuration README shows, whose upstream,
// listen address and cache directory the tests replace.
func nginxConf(t testing.TB, name, origin, listen, dir string) string {
	b, err := os.ReadFile(DeployFile(name))
	if err != nil {
		t.Fatal(err)
	}
	r := strings.NewReplacer("server 127.0.0.1:8080;", "server "+origin+";", "http://127.0.0.1:8080/", "http://"+origin+"/", "listen 80;", "listen "+listen+";",
		"/var/cache/nginx/framecast", filepath.Join(dir, "cache"))
	return r.Replace(string(b))
}

// DeployFile is the path of deploy/NAME in the source tree.
func DeployFile(name string) string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "..", "..", "deploy", name)
}

// Nginx starts Debian's nginx (nginx-light) on 127.0.0.1 as the caching
// reverse proxy of deploy/nginx-framecast.conf in front of origin (host:port), with its
// files and error log in a temporary directory, and returns its base URL.
// It stops with the test. Without nginx the test is skipped, or failed in
// CI.
func Nginx(t testing.TB, origin string) string {
	t.Helper()
	return NginxFile(t, "nginx-framecast.conf", origin)
}

// NginxFile is Nginx with the configuration deploy/name.
func NginxFile(t testing.TB, name, origin string) string {
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
	server := nginxConf(t, name, origin, listen, dir)
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
