package fsstore

import "context"

// SetObjectTags replaces the tag set of key's current version (versionID
// "") or of the version named (nil tags: none), leaving its bytes and
// other metadata alone. The tags live in the version's record ("tg"), so
// they follow the version: a new version starts with the tags its write
// asked for, and older versions keep theirs.
func (s *Store) SetObjectTags(ctx context.Context, bucket, key, versionID string, tags map[string]string) error {
	if len(tags) == 0 {
		tags = nil
	}
	return s.editRecord(ctx, bucket, key, versionID, func(rec *metaRecord) { rec.Tags = tags })
}

// editRecord changes the record of key's current object (versionID "")
// or of one version with edit. The record is rewritten on the open data
// file (or marker directory): a put that replaces the key meanwhile wins,
// as if the change had come just before it. A version and the plain file
// that holds it share one inode, so one write changes both.
func (s *Store) editRecord(ctx context.Context, bucket, key, versionID string, edit func(*metaRecord)) error {
	if versionID != "" {
		o, err := s.openObjectVersion(ctx, bucket, key, versionID, false)
		if err != nil {
			return err
		}
		if o.File != nil {
			defer o.Close()
			return withFd(o.File, func(fd int) error {
				return s.editFd(fd, bucket, key, func(rec *metaRecord) error { edit(rec); return nil })
			})
		}
		// The plain marker directory: its record is the current one.
	}
	f, rec, id, marker, err := s.openKey(bucket, key)
	if err != nil {
		return err
	}
	defer f.Close()
	edit(&rec)
	return withFd(f, func(fd int) error {
		if marker {
			return s.meta.setMarker(fd, id.Ino, bucket, key, &rec, false)
		}
		// stage writes the record for this very file (xattr on the fd, or
		// the sidecar named by its identity).
		return s.meta.stage(fd, id, bucket, key, &rec)
	})
}

// editFd rewrites with edit the record of the open data file fd (a
// version's inode: the plain file and its area entry share it).
func (s *Store) editFd(fd int, bucket, key string, edit func(*metaRecord) error) error {
	id, _, err := statID(fd)
	if err != nil {
		return err
	}
	rec, _, err := s.meta.load(fd, id, bucket, key)
	if err != nil {
		return err
	}
	if err := edit(&rec); err != nil {
		return err
	}
	return s.meta.stage(fd, id, bucket, key, &rec)
}
