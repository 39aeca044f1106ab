package server_test

import (
	"bytes"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"log/slog"

	"github.com/framecast/framecast/internal/fake"
	"github.com/framecast/framecast/internal/server"
)

// A renewed certificate is served without a restart; a broken renewal keeps
// the last good one in use and says so in the log.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := fake.WriteCert(t, dir, "first")
	var log bytes.Buffer
	synctest.Test(t, func(t *testing.T) {
		c, err := server.LoadCertificate(certFile, keyFile, slog.New(slog.NewTextHandler(&log, nil)))
		if err != nil {
			t.Fatal(err)
		}
		name := func() string {
			t.Helper()
			tc, err := c.GetCertificate(nil)
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := x509.ParseCertificate(tc.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			return leaf.Subject.CommonName
		}
		// touch gives both files a modification time that differs from any
		// before, however coarse the file system's clock.
		stamp := time.Unix(1700000000, 0)
		touch := func() {
			stamp = stamp.Add(time.Minute)
			os.Chtimes(certFile, stamp, stamp)
			os.Chtimes(keyFile, stamp, stamp)
		}
		if got := name(); got != "first" {
			t.Fatalf("serving %q, want first", got)
		}

		fake.WriteCert(t, dir, "renewed")
		touch()
		time.Sleep(2 * time.Second)
		if got := name(); got != "renewed" {
			t.Fatalf("after renewal serving %q, want renewed", got)
		}

		os.WriteFile(certFile, []byte("half written"), 0o644)
		touch()
		time.Sleep(2 * time.Second)
		if got := name(); got != "renewed" {
			t.Fatalf("after a broken renewal serving %q, want the last good one", got)
		}
		if !strings.Contains(log.String(), "previous one stays in use") {
			t.Errorf("log does not say the new certificate failed: %s", log.String())
		}
	})
	if _, err := server.LoadCertificate(dir+"/missing.pem", keyFile, nil); err == nil {
		t.Error("a missing certificate file loaded")
	}
}
