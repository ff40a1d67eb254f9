package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// certReloadEvery bounds how often the serving certificate's files are
// checked for a newer version (cert-manager, ACME clients and the like
// replace them in place).
const certReloadEvery = 30 * time.Second

// servingCert holds the TLS certificate warden serves, re-reading its
// files when they change so that a renewed certificate is used without a
// restart.
type servingCert struct {
	certFile, keyFile string
	now               func() time.Time

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
	checked time.Time
}

// loadServingCert reads the certificate and key once, so that a bad pair
// stops serve at start with a clear error.
func loadServingCert(certFile, keyFile string) (*servingCert, error) {
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	c := &servingCert{certFile: certFile, keyFile: keyFile, now: time.Now}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *servingCert) reload() error {
	st, err := os.Stat(c.certFile)
	if err != nil {
		return fmt.Errorf("--tls-cert: %w", err)
	}
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert %s and --tls-key %s: %w", c.certFile, c.keyFile, err)
	}
	c.cert, c.modTime = &pair, st.ModTime()
	return nil
}

// get implements tls.Config.GetCertificate. When the certificate file has
// changed it loads the new pair; a pair that fails to load keeps the
// current one in use.
func (c *servingCert) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checked) >= certReloadEvery {
		c.checked = now
		if st, err := os.Stat(c.certFile); err == nil && !st.ModTime().Equal(c.modTime) {
			prev, prevMod := c.cert, c.modTime
			if err := c.reload(); err != nil {
				c.cert, c.modTime = prev, prevMod
			}
		}
	}
	return c.cert, nil
}

// tlsConfig is how serve speaks TLS: TLS 1.2 or newer, the reloading
// certificate, and client certificates requested but not required. Their
// chains are verified where they are used: the issuer accepts a live
// X.509-SVID it issued as a workload's credential (mTLS renewal), against
// its current trust bundle, so the TLS layer needs no copy of it.
func (c *servingCert) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: c.get,
		ClientAuth:     tls.RequestClientCert,
	}
}
