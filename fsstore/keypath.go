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
	ipShaped := true // digits and dots only: parse it (a failed parse allocates)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c == '-':
			ipShaped = false
		case c >= '0' && c <= '9':
		default:
			if c != '.' {
				return false
			}
		}
		if (c == '.' || c == '-') && (i == 0 || i == len(name)-1) {
			return false
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if ipShaped {
		if _, err := netip.ParseAddr(name); err == nil {
			return false
		}
	}
	return true
}

// objPath is where a key lives inside its bucket directory.
type objPath struct {
	rel    string // slash-separated stored (escaped) path below the bucket directory, never ""
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

// Key escaping. A key is split at '/' into components, each stored as one
// file or directory name. Most components are stored verbatim; the ones a
// POSIX name cannot hold, and the ones that would be mistaken for an
// escape, are stored under escPrefix:
//
//	""   (as in "a//b", "/x", "x//")  %%empty
//	"."                               %%dot
//	".."                              %%dotdot
//	"%%" + rest                       %%% + rest
//
// Every component starting with escPrefix is escaped, so a stored name
// starting with escPrefix is always an escape and the mapping is one-to-one
// and reversible (encodeName / decodeName). A name on disk that starts
// with escPrefix but is none of these forms was not made by the store and
// is not listed. A stored name must fit NAME_MAX (255 bytes): a component
// of more than 255 bytes, or of more than 254 starting with "%%", is
// refused with ErrKeyTooLong (S3's KeyTooLongError), like a key of more
// than 1024 bytes.
const escPrefix = "%%"

const (
	escEmpty  = escPrefix + "empty"
	escDot    = escPrefix + "dot"
	escDotDot = escPrefix + "dotdot"
	escEsc    = escPrefix + "%" // followed by the rest after escPrefix

	// Collision escapes, each followed by the stored name n of a component
	// (see collide.go): escDir+n is the directory of n while the plain n
	// is (or was, when it was made) a file; escFile+n is the object whose
	// last component is n while the plain n is a directory.
	escDir  = escPrefix + "dir."
	escFile = escPrefix + "file."
)

// Kinds of stored names, as decodeNameKind reports them.
const (
	namePlain = iota // any name but the collision escapes
	nameDir          // escDir + n: must be a directory
	nameFile         // escFile + n: must be a regular file
)

// encodeName is the stored name of the key component c (which holds no
// '/').
func encodeName(c string) string {
	switch {
	case c == "":
		return escEmpty
	case c == ".":
		return escDot
	case c == "..":
		return escDotDot
	case strings.HasPrefix(c, escPrefix):
		return escEsc + c[len(escPrefix):]
	}
	return c
}

// decodeName is the inverse of encodeName; ok is false for a name
// encodeName never returns ("." and ".." directory entries, or an escape
// the store did not make).
func decodeName(name string) (c string, ok bool) {
	c, _, ok = decodeNameKind(name)
	return c, ok
}

// decodeNameKind is decodeName that also accepts the collision escapes
// (escDir + n, escFile + n for a stored name n), reporting which it was.
func decodeNameKind(name string) (c string, kind int, ok bool) {
	if strings.HasPrefix(name, escDir) {
		c, ok = decodeSimple(name[len(escDir):])
		return c, nameDir, ok
	}
	if strings.HasPrefix(name, escFile) {
		c, ok = decodeSimple(name[len(escFile):])
		return c, nameFile, ok
	}
	c, ok = decodeSimple(name)
	return c, namePlain, ok
}

// decodeSimple is the inverse of encodeName.
func decodeSimple(name string) (c string, ok bool) {
	if !strings.HasPrefix(name, escPrefix) {
		return name, name != "" && name != "." && name != ".."
	}
	switch name {
	case escEmpty:
		return "", true
	case escDot:
		return ".", true
	case escDotDot:
		return "..", true
	}
	if rest, ok := strings.CutPrefix(name, escEsc); ok {
		return escPrefix + rest, true
	}
	return "", false
}

// keyPath maps a key to its path below the bucket directory. It is the only
// place that decides which keys are representable: every valid UTF-8 key
// of 1–1024 bytes without NUL whose components fit NAME_MAX once escaped.
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
	rel, marker := key, false
	if strings.HasSuffix(key, "/") {
		rel, marker = key[:len(key)-1], true
	}
	enc, err := encodeRel(rel)
	if err != nil {
		return objPath{}, err
	}
	return objPath{rel: enc, marker: marker}, nil
}

// encodeRel maps the '/'-separated key components in rel (possibly one
// empty component) to the stored path.
func encodeRel(rel string) (string, error) {
	var b strings.Builder
	b.Grow(len(rel))
	for c := range strings.SplitSeq(rel, "/") {
		name := encodeName(c)
		if len(name) > maxNameLen {
			return "", fmt.Errorf("%w: path component longer than %d bytes", ErrKeyTooLong, maxNameLen)
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(name)
	}
	return b.String(), nil
}

// keyFromPath is the inverse of keyPath: the key stored at rel (a marker
// when marker is set). ok is false when rel holds a name the store never
// makes.
func keyFromPath(rel string, marker bool) (key string, ok bool) {
	var b strings.Builder
	b.Grow(len(rel) + 1)
	for i, name := range strings.Split(rel, "/") {
		c, ok := decodeName(name)
		if !ok {
			return "", false
		}
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(c)
	}
	if marker {
		b.WriteByte('/')
	}
	return b.String(), true
}
