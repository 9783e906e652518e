package fsstore

// LayoutVersion numbers the on-disk layout under a root (bucket
// directories, .caddys3/, the metadata record's format). The layout is not
// yet recorded on disk: every root so far has layout 1. A change that an
// older release could misread must bump it and record it under
// .caddys3/ before writing anything in the new form.
const LayoutVersion = 1

// MetadataMode says where object metadata lives: "xattrs" (user extended
// attributes on the object files) or "sidecars" (files under
// .caddys3/meta, for filesystems without user xattrs).
func (s *Store) MetadataMode() string {
	if _, ok := s.meta.(*sidecarMeta); ok {
		return "sidecars"
	}
	return "xattrs"
}

// ProbeWritable creates and removes a file in the root's staging
// directory: the cheapest proof that writes can land.
func (s *Store) ProbeWritable() error {
	name, f, err := s.createTemp("ready-")
	if err != nil {
		return err
	}
	f.Close()
	return s.root.Remove(name)
}
