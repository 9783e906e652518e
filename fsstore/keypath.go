package fsstore

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

const (
	maxKeyLen  = 1024
	maxNameLen = 255 // NAME_MAX of every filesystem we care about
)

// ValidBucketName reports whether name follows S3's bucket naming rules:
// 3–63 bytes of [a-z0-9.-], starting and ending with a letter or digit, no
// "..", ".-" or "-." and not shaped like an IPv4 address. Such a name can
// never be "." / ".." or start with '.', so it never names the internal
// directory.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return false
	}
	return true
}

// objPath is where a key lives inside its bucket directory.
type objPath struct {
	rel    string // slash-separated path below the bucket directory
	marker bool   // key ends in '/': a directory carrying marker metadata
}

// dir is the directory holding the object (or, for a marker, its parent),
// "" for the bucket directory itself.
func (p objPath) dir() string {
	if i := strings.LastIndexByte(p.rel, '/'); i >= 0 {
		return p.rel[:i]
	}
	return ""
}

// base is the last path component.
func (p objPath) base() string {
	return p.rel[strings.LastIndexByte(p.rel, '/')+1:]
}

// keyPath maps a key to its path below the bucket directory. It is the only
// place that decides which keys are representable; an escaping scheme for
// empty, "." and ".." components belongs here (and in keyFromPath).
func keyPath(key string) (objPath, error) {
	if key == "" {
		return objPath{}, fmt.Errorf("%w: empty key", ErrInvalidKey)
	}
	if len(key) > maxKeyLen {
		return objPath{}, ErrKeyTooLong
	}
	if !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0 {
		return objPath{}, fmt.Errorf("%w: not valid UTF-8 or contains NUL", ErrInvalidKey)
	}
	p := objPath{rel: key}
	if strings.HasSuffix(key, "/") {
		p = objPath{rel: key[:len(key)-1], marker: true}
	}
	if err := checkComponents(p.rel); err != nil {
		return objPath{}, err
	}
	return p, nil
}

// checkComponents rejects paths that cannot be stored verbatim.
func checkComponents(rel string) error {
	for c := range strings.SplitSeq(rel, "/") {
		switch {
		case c == "" || c == "." || c == "..":
			return fmt.Errorf("%w: empty, \".\" or \"..\" path component", ErrInvalidKey)
		case len(c) > maxNameLen:
			return fmt.Errorf("%w: path component longer than %d bytes", ErrKeyTooLong, maxNameLen)
		}
	}
	return nil
}

// keyFromPath is the inverse of keyPath for listing.
func keyFromPath(rel string, marker bool) string {
	if marker {
		return rel + "/"
	}
	return rel
}
