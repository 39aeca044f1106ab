package mjpeg

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"strconv"
	"strings"
)

// ErrPartTooLarge is returned by Reader.NextPart for a part larger than the
// Reader's MaxPartSize. The next call skips to the following part.
var ErrPartTooLarge = errors.New("mjpeg: multipart part too large")

// ErrHeaderTooLarge is returned by Reader.NextPart for a part whose header
// block is larger than the Reader's MaxHeaderBytes. The next call skips to
// the following part.
var ErrHeaderTooLarge = errors.New("mjpeg: multipart part header too large")

// DefaultMaxHeaderBytes is the largest part header block a Reader accepts
// when no other limit is given: 16 KiB.
const DefaultMaxHeaderBytes = 16 << 10

// readerBufSize is the size of the Reader's bufio.Reader.
const readerBufSize = 32 << 10

// BoundaryFromContentType returns the boundary of a multipart Content-Type
// such as "multipart/x-mixed-replace;boundary=framecast". Any multipart/*
// type is accepted; the boundary may be quoted, and a boundary given with the
// leading "--" of its delimiter lines (as some cameras send it) is returned
// without it.
func BoundaryFromContentType(ct string) (string, error) {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", fmt.Errorf("mjpeg: content type %q: %w", ct, err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		return "", fmt.Errorf("mjpeg: content type %q is not multipart", ct)
	}
	b := strings.TrimLeft(params["boundary"], "-")
	if b == "" {
		return "", fmt.Errorf("mjpeg: content type %q has no boundary", ct)
	}
	return b, nil
}

// Part is one part of a multipart stream.
type Part struct {
	// Header holds the part's header fields, keys in canonical form.
	Header textproto.MIMEHeader
	// Body is the part's content, newly allocated and owned by the caller.
	Body []byte
}

// Reader reads the parts of a multipart stream, such as the MJPEG streams of
// IP cameras, mjpg-streamer, ustreamer or framecast. It is lenient with what
// such streams send: a preamble before the first boundary, LF-only line
// endings, boundary lines with trailing whitespace or extra leading dashes,
// missing or extra line breaks between a part's body and the next boundary,
// parts without Content-Length (read up to the next boundary) and parts
// without any header.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	// MaxPartSize is the largest part body accepted; zero or less means
	// DefaultMaxFrameSize. Set it before the first NextPart.
	MaxPartSize int
	// MaxHeaderBytes is the largest part header block accepted; zero or
	// less means DefaultMaxHeaderBytes. Set it before the first NextPart.
	MaxHeaderBytes int

	br       *bufio.Reader
	boundary []byte // without leading dashes
	inPart   bool   // a boundary line has just been read; headers come next
	midLine  bool   // the last bytes consumed did not end a line
	err      error  // sticky: io.EOF, io.ErrUnexpectedEOF or a read error
	scratch  []byte // a body without Content-Length, or a header line
}

// NewReader returns a Reader reading the multipart stream r with the given
// boundary (as in the Content-Type, see BoundaryFromContentType; leading
// dashes are ignored). It reads r through a bufio.Reader.
func NewReader(r io.Reader, boundary string) *Reader {
	return &Reader{
		br:       bufio.NewReaderSize(r, readerBufSize),
		boundary: []byte(strings.TrimLeft(boundary, "-")),
	}
}

// NextPart reads the next part. It returns io.EOF at the closing boundary or
// when the stream ends between parts, and io.ErrUnexpectedEOF when it ends
// inside a part. After ErrPartTooLarge or ErrHeaderTooLarge it can be called
// again to go on with the next part; after any other error it returns the
// same error again.
func (r *Reader) NextPart() (Part, error) {
	if r.err != nil {
		return Part{}, r.err
	}
	if len(r.boundary) == 0 {
		return Part{}, r.fail(errors.New("mjpeg: empty multipart boundary"))
	}
	if !r.inPart {
		if err := r.seek(); err != nil {
			return Part{}, err
		}
	}
	r.inPart = false
	h, err := r.readHeader()
	if err != nil {
		return Part{}, err
	}
	body, err := r.readBody(h)
	if err != nil {
		return Part{}, err
	}
	return Part{Header: h, Body: body}, nil
}

// fail records a lasting error and returns it.
func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

// boundaryLine reports whether line is a delimiter line, and whether it is
// the closing one. Trailing whitespace and extra leading dashes are allowed.
func (r *Reader) boundaryLine(line []byte) (open, closing bool) {
	line = bytes.TrimRight(line, " \t\r\n")
	if !bytes.HasPrefix(line, []byte("--")) {
		return false, false
	}
	rest, ok := bytes.CutPrefix(bytes.TrimLeft(line, "-"), r.boundary)
	if !ok {
		return false, false
	}
	switch string(rest) {
	case "":
		return true, false
	case "--":
		return false, true
	}
	return false, false
}

// seek skips to just after the next boundary line. It returns io.EOF at the
// closing boundary or at the end of the stream.
func (r *Reader) seek() error {
	for {
		line, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// Too long to be a boundary line.
			r.midLine = true
			continue
		}
		if len(line) > 0 && !r.midLine {
			open, closing := r.boundaryLine(line)
			if closing {
				return r.fail(io.EOF)
			}
			if open {
				return nil
			}
		}
		r.midLine = false
		if err != nil {
			return r.fail(err)
		}
	}
}

// readHeader reads a part's header block, through its empty line.
func (r *Reader) readHeader() (textproto.MIMEHeader, error) {
	h := make(textproto.MIMEHeader)
	// Some cameras send the JPEG right after the boundary line.
	if b, _ := r.br.Peek(2); len(b) == 2 && b[0] == 0xFF && b[1] == markerSOI {
		return h, nil
	}
	max := r.MaxHeaderBytes
	if max <= 0 {
		max = DefaultMaxHeaderBytes
	}
	total := 0
	for {
		line := r.scratch[:0]
		for {
			chunk, err := r.br.ReadSlice('\n')
			total += len(chunk)
			if total > max {
				r.midLine = len(chunk) == 0 || chunk[len(chunk)-1] != '\n'
				return nil, ErrHeaderTooLarge
			}
			line = append(line, chunk...)
			if err == nil {
				break
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err == io.EOF {
				if total == 0 {
					// The stream ended between parts.
					return nil, r.fail(io.EOF)
				}
				err = io.ErrUnexpectedEOF
			}
			return nil, r.fail(err)
		}
		r.scratch = line
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			return h, nil
		}
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue // not a header field; ignore it
		}
		key := textproto.CanonicalMIMEHeaderKey(string(bytes.TrimSpace(k)))
		h.Add(key, string(bytes.TrimSpace(v)))
	}
}

// readBody reads a part's body: by its Content-Length when it has a valid
// one, else up to the next boundary line.
func (r *Reader) readBody(h textproto.MIMEHeader) ([]byte, error) {
	max := r.MaxPartSize
	if max <= 0 {
		max = DefaultMaxFrameSize
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64); err == nil && n >= 0 {
			if n > int64(max) {
				return nil, ErrPartTooLarge
			}
			body := make([]byte, n)
			if _, err := io.ReadFull(r.br, body); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return nil, r.fail(err)
			}
			// The boundary line comes next: seek finds it, skipping extra
			// line breaks, and also when the line break before it is missing.
			r.midLine = false
			return body, nil
		}
	}

	buf := r.scratch[:0]
	lineStart := true
	for {
		chunk, err := r.br.ReadSlice('\n')
		if lineStart && err != bufio.ErrBufferFull && len(chunk) > 0 {
			open, closing := r.boundaryLine(chunk)
			if open || closing {
				// The line break before the boundary belongs to it.
				n := len(buf)
				if n > 0 && buf[n-1] == '\n' {
					n--
					if n > 0 && buf[n-1] == '\r' {
						n--
					}
				}
				body := make([]byte, n)
				copy(body, buf)
				r.scratch = buf[:0]
				if closing {
					r.err = io.EOF
				} else {
					r.inPart = true
				}
				return body, nil
			}
		}
		lineStart = len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
		// Up to 2 bytes more: the final line break is not part of the body.
		if len(buf)+len(chunk) > max+2 {
			r.scratch = buf[:0]
			r.midLine = !lineStart
			return nil, ErrPartTooLarge
		}
		buf = append(buf, chunk...)
		if err != nil && err != bufio.ErrBufferFull {
			r.scratch = buf[:0]
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, r.fail(err)
		}
	}
}
