package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxPEMFile bounds a PEM file read for the private-key filter; the
// server's x509 importer refuses more than this anyway.
const maxPEMFile = 64 << 20

// errOnlyPrivateKeys marks an x509 input that holds private keys and
// nothing else: it is skipped, never uploaded.
var errOnlyPrivateKeys = errors.New("holds only private keys")

// errNotPEM marks an x509 input with no PEM block at all; files met while
// walking a directory (a README, a generator script) are skipped with it.
var errNotPEM = errors.New("holds no PEM block")

// openPEMWithoutKeys opens a PEM file for an x509 import with every
// private-key block removed, so that keys lying beside certificates (a
// directory of server.crt and server.key) never leave this machine. The
// rest is sent unchanged, so malformed blocks are still reported by the
// server. A file of private keys only is errOnlyPrivateKeys.
func openPEMWithoutKeys(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPEMFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxPEMFile {
		return nil, fmt.Errorf("%s: larger than %d bytes; is it a PEM file?", path, maxPEMFile)
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		// gzip: sent as it is; the server skips key blocks without storing them.
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	if !bytes.Contains(data, []byte("-----BEGIN ")) {
		return nil, fmt.Errorf("%s %w: expected -----BEGIN CERTIFICATE----- blocks", path, errNotPEM)
	}
	out, keys, others := stripPrivateKeys(data)
	if keys > 0 && others == 0 {
		return nil, errOnlyPrivateKeys
	}
	return io.NopCloser(bytes.NewReader(out)), nil
}

// stripPrivateKeys removes the lines of PEM blocks whose type contains
// "PRIVATE KEY" and counts the private-key blocks and the other blocks.
func stripPrivateKeys(data []byte) (out []byte, keys, others int) {
	out = make([]byte, 0, len(data))
	inKey := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), len(data)+1)
	for sc.Scan() {
		line := sc.Bytes()
		trimmed := bytes.TrimSpace(line)
		begin := bytes.HasPrefix(trimmed, []byte("-----BEGIN "))
		switch {
		case inKey:
			if bytes.HasPrefix(trimmed, []byte("-----END ")) {
				inKey = false
			}
			continue
		case begin && bytes.Contains(trimmed, []byte("PRIVATE KEY")):
			keys++
			inKey = true
			continue
		case begin:
			others++
		}
		out = append(out, line...)
		out = append(out, '\n')
	}
	return out, keys, others
}
