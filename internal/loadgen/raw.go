package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

// RawDoer is a minimal HTTP/1.1 client in the spirit of wrk: each worker
// keeps one connection, writes pre-built request bytes and reads the
// status line, headers and Content-Length body of the answer. It costs a
// fraction of net/http's client CPU, so that on a shared machine the
// server, not the load generator, is what gets measured. It redials when
// the server closes the connection.
func RawDoer(addr string, workers int, request func(i int) []byte) Doer {
	conns := make([]*rawConn, workers)
	return func(w, i int) (int, error) {
		c := conns[w]
		if c == nil {
			var err error
			if c, err = dialRaw(addr); err != nil {
				return 0, err
			}
			conns[w] = c
		}
		status, keep, err := c.do(request(i))
		if err != nil || !keep {
			c.conn.Close()
			conns[w] = nil
		}
		return status, err
	}
}

type rawConn struct {
	conn net.Conn
	r    *bufio.Reader
}

func dialRaw(addr string) (*rawConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &rawConn{conn: c, r: bufio.NewReaderSize(c, 16<<10)}, nil
}

// do sends one request and reads its answer; keep is false when the
// server asked to close the connection.
func (c *rawConn) do(req []byte) (status int, keep bool, err error) {
	if _, err := c.conn.Write(req); err != nil {
		return 0, false, err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, false, fmt.Errorf("read status line: %w", err)
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, false, fmt.Errorf("bad status line %q", line)
		}
	}
	status = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	length, keep := -1, true
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, false, fmt.Errorf("read headers: %w", err)
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		name, value, _ := bytes.Cut(h, []byte(":"))
		value = bytes.TrimSpace(value)
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(value)); err != nil || length < 0 {
				return 0, false, fmt.Errorf("bad Content-Length %q", value)
			}
		case bytes.EqualFold(name, []byte("Connection")) && bytes.EqualFold(value, []byte("close")):
			keep = false
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			return 0, false, errors.New("chunked answers are not supported")
		}
	}
	if length < 0 {
		return 0, false, errors.New("answer has no Content-Length")
	}
	if _, err := c.r.Discard(length); err != nil {
		return 0, false, fmt.Errorf("read body: %w", err)
	}
	return status, keep, nil
}

// RawRequest builds the bytes of an HTTP/1.1 request with a body (nil for
// none) and extra header lines ("Name: value").
func RawRequest(method, host, path string, body []byte, headers ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, host)
	for _, h := range headers {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	if body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}
