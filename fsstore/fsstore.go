// Package fsstore stores S3 buckets and objects as plain files under a
// POSIX root. It knows nothing of HTTP: callers pass keys and readers and get
// small types and sentinel errors back.
//
// # Layout
//
//	<root>/<bucket>/<key>                 object bytes; '/' in keys are directories
//	<root>/<bucket>/<dir>/                folder marker "dir/": a directory with metadata
//	<root>/<bucket>/…/%%dir.<n>, %%file.<n> colliding keys (see Keys, collide.go)
//	<root>/.caddys3/escapes/<bucket>      the bucket has (or had) a %%dir escape
//	<root>/.caddys3/locks/names           name locks (byte ranges) of collide.go
//	<root>/.caddys3/buckets/<bucket>.json bucket record {"owner", "created"}
//	<root>/.caddys3/tmp/                  staging (same filesystem, so publishing is a rename)
//	<root>/.caddys3/meta/                 metadata sidecars, only without xattr support
//	<root>/.caddys3/empty                 empty file served as a folder marker's body
//	<root>/.caddys3/uploads/<bucket>/     multipart uploads (see multipart.go)
//	<root>/.caddys3/locks/<h[:2]>/<h>     If-Match publish locks, h = sha256(bucket\x00key) (see lock.go)
//	<root>/.caddys3/nodes/<node>          heartbeat of a live Store (see node.go)
//	<root>/.caddys3/versions/<bucket>/<stored key path>/%%v/<entry>
//	                                      versions and delete markers (see Versions)
//
// Bucket names never start with '.', so .caddys3 is never a bucket. Every
// path is resolved below <root> without crossing a symlink (see fsRoot:
// openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS where the kernel has
// it, else openat with O_NOFOLLOW component by component); the listing
// walk opens single names it read from an already open directory with
// O_NOFOLLOW. A symlink planted in the tree (by a backup restore, an NFS
// user, an operator) is never followed, whether its target lies inside
// the root or out of it: a key whose path meets one does not exist for
// reads, deletes and ACL changes (ErrNoSuchKey; a symlinked bucket
// directory is ErrNoSuchBucket), a put through one fails with
// ErrObjectParentIsFile, a put at a key that is itself a symlink replaces
// the link, and listings skip symlinks.
//
// A bucket exists when its record exists. CreateBucket publishes the record
// with link(2), which fails if it exists, so exactly one of racing creators
// (in any process) owns the bucket; the directory is made after it. Object
// operations need the directory and never create it, and DeleteBucket
// removes the directory (rmdir: fails unless empty) before the record, so a
// racing put cannot resurrect a deleted bucket.
//
// # Keys
//
// Every valid UTF-8 key of 1–1024 bytes without NUL is stored and listed
// exactly, including keys with empty components ("a//b", "/x"), "." and
// ".." components ("./x", "a/../b") and folder markers ("d/") coexisting
// with keys below them. Keys map to paths in one place (keyPath, with
// keyFromPath its inverse): a component that cannot be a file name ("",
// ".", "..") is stored as "%%empty", "%%dot" or "%%dotdot", and a component
// starting with "%%" gets one more '%' ("%%x" is stored as "%%%x"), so the
// escaping is reversible and no key can name a path outside its bucket
// directory (and hence never the internal directory, which is not in any
// bucket; ".caddys3" inside a bucket is an ordinary name). Listings sort
// the decoded names, so escaping never changes S3's byte order. Refused
// keys: the empty key, invalid UTF-8 or NUL (ErrInvalidKey); more than
// 1024 bytes, or a component whose stored name exceeds NAME_MAX (255
// bytes: a component of more than 255 bytes, or more than 254 starting
// with "%%") (ErrKeyTooLong, S3's KeyTooLongError).
//
// Every key AWS accepts coexists with every other, though a name cannot be
// a file and a directory at once: "a" and "a/b"; "d/" with a body (the
// file "d/%%empty", by the rule above: its last component is the empty
// one) and "d//x" (the directory "d/%%empty"); multipart uploads to any of
// them. The first one written keeps the plain path; the later one goes
// under a collision escape in the same directory, %%dir.<n> (the
// directory of the name n while n is a file) or %%file.<n> (the object
// named n while n is a directory), where n is the stored name (see
// collide.go for the invariants and the locks that keep them between
// processes). Example: put "logs", then "logs/app.log", then "logs/" with a
// body: <bucket>/logs, <bucket>/%%dir.logs/app.log and
// <bucket>/%%dir.logs/%%empty. A key ending in '/' with an empty body is a
// folder marker (a directory with metadata); with a body, the file of its
// empty last component; writing one form removes the other. Lookups try
// an escape only where a plain name failed, so keys that do not collide
// cost what they always did; escaped names are 6–7 bytes longer, so a
// colliding component of more than 248 bytes is refused with
// ErrKeyTooLong. Listings sort escaped names as the plain ones.
//
// # Versions
//
// SetBucketVersioning sets the sticky bit of the bucket directory (so the
// Lstat every put makes tells an unversioned bucket, which pays nothing)
// and the status in the record. In such a bucket every write and delete
// of a key holds the key's lock (lock.go), takes a time after the newest
// version's. A write renames its file over the plain file, then links it
// (a hard link: same inode, same metadata) into the version area; a delete
// links a marker into the area, then removes the plain file. The plain
// file is the latest version and the object ListObjects shows; it is
// missing only when the latest is a delete marker (a read repairs a root
// where that does not hold, see latestFromArea). Entry names sort newest
// first and are the version ids (see versions.go). A kill at any point
// loses no completed version, and readers and listings agree after it;
// see docs/design-versions-and-keys.md, Part 2, "As built".
//
// # Metadata
//
// Object metadata (ETag, content headers, user metadata, checksums, owner)
// is compact JSON in the xattr user.caddys3 of the data file, set on the
// temp file before it is renamed into place: bytes and metadata are
// published by the same rename and can never disagree. Size and
// LastModified (seconds) come from fstat of the same fd. Markers carry the
// xattr on their directory, with their own time. Open probes xattr support
// on the root; without it metadata goes to sidecars under .caddys3/meta,
// one per data-file inode, accepted only when inode, size and mtime match
// the open file (see sidecarMeta). All state lives in the filesystem, so
// several processes may share one root.
//
// # Conditional writes
//
// If-None-Match "*" publishes with link(2), which fails if the key exists:
// exactly one of racing creators wins, in any process. If-Match checks the
// current ETag and renames while holding an OFD fcntl lock on the key's
// lock file (flock where OFD locks are missing), waiting no longer than the
// request's context: conditional writers in every process sharing the root
// are serialized, so of racing If-Match writers expecting one ETag exactly
// one wins. Unconditional puts and deletes take no lock; one landing
// between a conditional writer's check and its rename is overwritten as if
// it had come first (see lock.go).
//
// # Listing
//
// ListObjects walks the tree in S3 byte order, each directory's entries
// sorted by decoded name (see ListObjects). The sorted listings of large
// directories are cached per Store (Options.ListCacheBytes) and validated
// with one fstat of the directory on every use, so a page of a flat
// directory of a million keys costs a binary search plus what it returns,
// and a write by any instance sharing the root shows in the next page (see
// listcache.go for the exact bound; over NFS it relies on close-to-open
// attribute revalidation). A directory or key removed by a concurrent
// delete while a page is read is absent from it, never an error. The
// listings of directories of 10,000 entries or more are also kept under
// .caddys3/listidx for other instances and restarts (listindex.go).
//
// # Crashes and full disks
//
// A put, part or Complete writes a temp file under .caddys3/tmp, attaches
// the metadata to it (or writes its sidecar record first) and publishes
// both with one rename or link: a writer killed at any point leaves either
// the old object or the new one whole, plus possibly a temp file (and an
// unreferenced sidecar record). Temp file names carry the id of the
// Store (node) that wrote them, and each node refreshes a heartbeat file:
// temp files of dead nodes are removed at Open and by CleanupTemp at
// once, and by every live node within a few heartbeats of the death;
// others (and those of releases before node ids) once untouched for
// Options.StaleTempAge (see node.go). A Complete killed midway leaves its
// claimed upload; the claim stops being refreshed and, 15 seconds later,
// the next Complete, Abort, listing or cleanup that meets it returns the
// upload to its un-claimed state (see claim.go). With Options.Fsync the temp
// file and the parent directory are fsynced around the rename, so a
// published object also survives a power failure. ENOSPC and EDQUOT while
// writing, closing or fsyncing the temp file, setting metadata, creating
// directories or renaming fail the operation with ErrInsufficientStorage
// and publish nothing (only the fsync of the parent directory comes after
// the rename: if it fails, the error is returned though the object is
// visible, as its durability is unknown).
package fsstore

import (
	"errors"
	"os"
	"time"
)

// Options configure a Store.
type Options struct {
	// Root is the directory holding one sub-directory per bucket.
	Root string
	// Fsync makes every publish fsync the file and its parent directory.
	Fsync bool
	// NoCopyFileRange makes CompleteMultipartUpload always join parts with
	// a plain read/write copy (for NFS servers that mishandle
	// copy_file_range).
	NoCopyFileRange bool
	// KeepsOwnUploads, when set, names the buckets whose in-progress
	// uploads CleanupUploads leaves to their own lifecycle rules instead
	// of aborting them by age (see lifecycle.go).
	KeepsOwnUploads func(BucketInfo) bool
	// ListCacheBytes bounds the memory of the cache of sorted listings of
	// large directories (see listcache.go): 0 means 128 MiB, a negative
	// value disables the cache (and the on-disk index, listindex.go).
	ListCacheBytes int64
	// ListFieldsEntries bounds the cache of the listing fields of data
	// files (see listfields.go): 0 means 128Ki files, a negative value
	// disables it.
	ListFieldsEntries int
	// StaleTempAge is how long a temp file must be untouched before Open
	// and CleanupUploads remove it as left by a crashed writer (0 means one
	// hour; see Store.CleanupTemp).
	StaleTempAge time.Duration
	// OnUsage, when set, hears every change of a bucket's stored bytes as
	// it happens (see usagecount.go); it must not block.
	OnUsage UsageHook
	// RepairMaxSize bounds the file a read hashes to give an object found
	// without metadata its ETag (see repair.go): 0 means
	// DefaultRepairMaxSize, a negative value never hashes at read time.
	RepairMaxSize int64
	// KeepTemp makes Open leave the staging directory alone, so that a
	// check can report what is there before it removes anything.
	KeepTemp bool

	// noOpenat2 makes the store resolve paths without openat2 (tests).
	noOpenat2 bool
	// nodeBeat and claimBeat replace defaultNodeBeat and
	// defaultClaimBeat (tests).
	nodeBeat, claimBeat time.Duration
}

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Owner   string
	Created time.Time
	// ACL, Policy and CORS are the documents set with SetBucketDoc (nil
	// when unset), opaque to the store.
	ACL, Policy, CORS []byte
	// Versioning is "" (never enabled), "Enabled" or "Suspended".
	Versioning string
	// Tags is the bucket's tag set as SetBucketDoc(BucketTagging) stored
	// it (nil when unset).
	Tags []byte
	// ObjectLock is the bucket's object lock configuration, nil without
	// lock (retention.go).
	ObjectLock *ObjectLockConfig
	// Ownership ("" for no ownership controls) and PublicAccess (nil for
	// none) are set with SetBucketDoc or CreateBucketWith.
	Ownership    string
	PublicAccess []byte
	// Quota is the hard quota in bytes (0: none).
	Quota int64
	// Lifecycle is the bucket's lifecycle configuration as
	// SetBucketDoc(BucketLifecycle) stored it (nil when unset).
	Lifecycle []byte
	// Encryption is the default encryption document (BucketEncryption),
	// opaque here; nil when unset.
	Encryption []byte
}

// ObjectMeta is what is stored with an object besides its bytes.
type ObjectMeta struct {
	Size         int64
	ETag         string // hex MD5 (multipart: "hex-N"), without quotes
	LastModified time.Time

	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// UserMeta holds x-amz-meta-* values keyed by the lower-case name
	// without the prefix.
	UserMeta map[string]string
	// Checksums by upper-case algorithm ("CRC32", "SHA256", ...), base64.
	Checksums map[string]string
	// ChecksumAlgorithm and ChecksumType ("COMPOSITE" or "FULL_OBJECT")
	// describe a multipart object's checksum, chosen at its creation.
	ChecksumAlgorithm string
	ChecksumType      string
	Owner             string
	// ACL is the object's access control list as the handler encoded it
	// (opaque to the store; nil: the owner-only default).
	ACL []byte
	// VersionID is the version's id, "" for the null version; set by the
	// store on writes in an Enabled bucket.
	VersionID string
	// DeleteMarker is set only in VersionEntry.Meta and listings of
	// versions.
	DeleteMarker bool
	// Tags is the version's tag set (nil: none); SetObjectTags changes it.
	Tags map[string]string `json:",omitempty"`
	// Object lock (retention.go): the version's retention mode
	// (GOVERNANCE, COMPLIANCE, "" for none) and date, and its legal hold
	// ("ON", "OFF", "" never set).
	LockMode  string    `json:",omitempty"`
	LockUntil time.Time `json:",omitzero"`
	LegalHold string    `json:",omitempty"`
	// parts is the part list of an object made by
	// CompleteMultipartUpload (see Parts).
	parts *partsRecord
	// Encryption: how the file is sealed (sse.go); nil for a plain file.
	Encryption *Encryption `json:",omitempty"`
}

// PutOptions control one PutObject.
type PutOptions struct {
	// Meta is the metadata to store; Size, ETag and LastModified are filled
	// by the store.
	Meta ObjectMeta
	// IfNoneMatch "*" fails with ErrPreconditionFailed when the key exists.
	IfNoneMatch string
	// IfMatch (an ETag, quotes optional) fails with ErrPreconditionFailed
	// unless the current object has that ETag.
	IfMatch string
	// Checksums, if set, is called once the body reached a clean EOF; the
	// verified checksums it returns are stored with the object (they
	// replace Meta.Checksums).
	Checksums func() map[string]string
	// Seal, when set, seals the body on its way to the file (sse.go);
	// Meta.Encryption says how.
	Seal Sealer
}

// metaAtEOF is the metadata to store for a body of size bytes with MD5
// etag, read to a clean EOF.
func (o *PutOptions) metaAtEOF(size int64, etag string) ObjectMeta {
	m := o.Meta
	m.Size, m.ETag = size, etag
	m.Encryption = m.Encryption.withSize(size)
	m.ETag = m.Encryption.etag(etag)
	m.parts = nil // one PUT (or a copy) is one part
	if o.Checksums != nil {
		m.Checksums = o.Checksums()
	}
	return m
}

// ListOptions select one page of a bucket listing.
type ListOptions struct {
	Prefix    string
	Delimiter string
	// After is exclusive: only keys (and common prefixes) sorting after it
	// are returned. When it is a common prefix of this listing (ends with
	// Delimiter), every key under it is skipped too.
	After   string
	MaxKeys int // 0 means an empty page; callers clamp to 1000
	// Brief: the caller shows only Size, ETag, LastModified, the checksum
	// algorithm and type, Owner, VersionID and DeleteMarker of each key;
	// the rest of ObjectMeta is left empty (see listfields.go).
	Brief bool
	// Inputs: record what a brief page was built from, for
	// PageUnchanged (pagecache.go).
	Inputs bool
}

// ObjectEntry is one key in a listing.
type ObjectEntry struct {
	Key  string
	Meta ObjectMeta
}

// ListResult is one page of a listing, keys and prefixes in ascending UTF-8
// byte order.
type ListResult struct {
	Objects        []ObjectEntry
	CommonPrefixes []string
	IsTruncated    bool
	// Next is the last key or common prefix returned, for the next After.
	Next string
	// Inputs, with ListOptions.Inputs, is what the page was built from;
	// nil when it cannot be revalidated (pagecache.go).
	Inputs *PageInputs
}

// Object is an open object; the caller must Close it.
type Object struct {
	*os.File
	Meta ObjectMeta
}

// Sentinel errors; the caddys3 package maps each to its S3 error code.
var (
	ErrNoSuchBucket       = errors.New("no such bucket")
	ErrNoSuchKey          = errors.New("no such key")
	ErrBucketExists       = errors.New("bucket exists and is owned by another account")
	ErrBucketAlreadyOwned = errors.New("bucket already owned by you")
	ErrBucketNotEmpty     = errors.New("bucket not empty")
	ErrInvalidBucketName  = errors.New("invalid bucket name")
	// ErrInvalidKey: an empty key, or one that is not valid UTF-8 or
	// contains NUL.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrKeyTooLong: a key of more than 1024 bytes, or with a component
	// whose stored name exceeds 255 bytes (see Keys).
	ErrKeyTooLong = errors.New("object key too long")
	// ErrObjectParentIsFile: a put whose path meets a symlink (or another
	// non-regular file) planted in the tree. Keys never conflict with each
	// other (see Keys).
	ErrObjectParentIsFile = errors.New("object key conflicts: a parent path is an object")
	// ErrObjectIsDirectory is no longer returned (keys never conflict); it
	// stays for callers that map it.
	ErrObjectIsDirectory  = errors.New("object key conflicts: keys exist below it")
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrInsufficientStorage: the filesystem is full (ENOSPC) or the quota
	// is exceeded (EDQUOT); nothing was published.
	ErrInsufficientStorage = errors.New("insufficient storage")
)
