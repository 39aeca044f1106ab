package server

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Certificate serves a TLS certificate from a certificate and key file and
// loads them again when either file changes, so a renewed certificate
// (certbot, acme.sh) is used without a restart. Its GetCertificate method
// goes in a tls.Config.
type Certificate struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   [2]fileStamp
	checked time.Time
}

// fileStamp is what tells that a file changed.
type fileStamp struct {
	mod  time.Time
	size int64
}

// certCheckEvery bounds how often the files are looked at; streams are
// long, so handshakes are rare, but a reconnect storm need not stat twice
// per connection.
const certCheckEvery = time.Second

// LoadCertificate loads the PEM certificate and key files. A later change
// that does not load (half written, mismatched) is logged and the last good
// certificate stays in use.
func LoadCertificate(certFile, keyFile string, log *slog.Logger) (*Certificate, error) {
	if log == nil {
		log = slog.Default()
	}
	c := &Certificate{certFile: certFile, keyFile: keyFile, log: log}
	st, err := c.stamps()
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	c.cert, c.stamp, c.checked = &cert, st, time.Now()
	return c, nil
}

// GetCertificate returns the current certificate, loading the files again
// first if they changed.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := time.Now(); now.Sub(c.checked) >= certCheckEvery {
		c.checked = now
		if st, err := c.stamps(); err == nil && st != c.stamp {
			cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
			if err != nil {
				c.log.Warn("tls: new certificate not loaded; the previous one stays in use", "err", err)
			} else {
				c.cert = &cert
				c.log.Info("tls: certificate loaded again", "cert", c.certFile)
			}
			// Either way, wait for the next change before trying again.
			c.stamp = st
		}
	}
	return c.cert, nil
}

func (c *Certificate) stamps() ([2]fileStamp, error) {
	var st [2]fileStamp
	for i, name := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return st, fmt.Errorf("tls: %w", err)
		}
		st[i] = fileStamp{fi.ModTime(), fi.Size()}
	}
	return st, nil
}
