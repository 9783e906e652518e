package executor

import (
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/lifecycle"
)

// keyWalk is what a pass remembers of the key whose versions it is
// walking (newest first): nothing of other keys, so memory stays one page.
type keyWalk struct {
	key string
	idx int // the next entry's position among the key's versions
	// kept is the newest version seen that is still there: the one the
	// next noncurrent version's noncurrency is counted from (the newer
	// version's time; after removals a later one, so never too early).
	kept    *fsstore.VersionEntry
	removed int // versions of the key this pass removed
	shift   int // 1 once the current version got a delete marker
	// marker is a latest delete marker waiting to learn whether it is
	// the key's only version.
	marker *fsstore.VersionEntry
}

// bucket walks one bucket's versions from after; done is false when the
// budget ran out first (the cursor says where to go on).
func (p *pass) bucket(b fsstore.BucketInfo, cfg *lifecycle.Configuration, after string) (done bool, err error) {
	versioned := b.Versioning != ""
	var w keyWalk
	completed := after
	opts := fsstore.ListVersionsOptions{KeyMarker: after, MaxKeys: p.e.o.PageSize}
	for {
		page, err := p.e.store.ListObjectVersions(p.ctx, b.Name, opts)
		if errors.Is(err, fsstore.ErrNoSuchBucket) {
			return true, nil // deleted meanwhile
		}
		if err != nil {
			return false, err
		}
		for i := range page.Entries {
			ent := page.Entries[i]
			if err := p.tick(); err != nil {
				return false, err
			}
			p.counts.Examined++
			if ent.Key != w.key {
				if err := p.settleMarker(b.Name, cfg, &w); err != nil {
					return false, err
				}
				if w.key != "" {
					completed = w.key
				}
				w = keyWalk{key: ent.Key}
			}
			if err := p.examine(b.Name, versioned, cfg, &w, &ent); err != nil {
				return false, err
			}
			w.idx++
		}
		if !page.IsTruncated {
			return true, p.settleMarker(b.Name, cfg, &w)
		}
		opts.KeyMarker, opts.VersionIDMarker = page.NextKeyMarker, page.NextVersionIDMarker
		if err := p.save(cursor{Bucket: b.Name, After: completed}); err != nil {
			return false, err
		}
		p.budget -= len(page.Entries)
		if p.budget <= 0 {
			return false, nil
		}
	}
}

// examine decides one version and acts on it.
func (p *pass) examine(bucket string, versioned bool, cfg *lifecycle.Configuration, w *keyWalk, ent *fsstore.VersionEntry) error {
	obj := lifecycle.Object{Key: ent.Key, Size: ent.Meta.Size, Tags: ent.Meta.Tags, Modified: ent.Meta.LastModified}
	if ent.DeleteMarker {
		obj.Size, obj.Tags = 0, nil
	}
	if w.idx == 0 {
		if ent.DeleteMarker {
			w.marker = ent
			w.kept = ent
			return nil
		}
		w.kept = ent
		exp, ok := cfg.CurrentExpiry(obj)
		if !ok || p.now.Before(exp.At) {
			return nil
		}
		seen := *ent
		acted, err := p.expire(bucket, ent.Key, "", func(v []fsstore.KeyVersion) bool {
			if !versioned {
				return len(v) == 1 && v[0].ETag == seen.Meta.ETag && v[0].Modified.Equal(seen.Meta.LastModified)
			}
			return len(v) > 0 && v[0].VersionID == seen.VersionID && !v[0].DeleteMarker
		})
		if acted {
			p.counts.ExpiredCurrent++
			// Without versioning the object is gone; Suspended, the
			// null version is replaced by the null marker.
			if !versioned || seen.VersionID == fsstore.NullVersion {
				p.counts.BytesFreed += seen.Meta.Size
			} else {
				w.shift = 1
			}
		}
		return err
	}
	// A noncurrent version: noncurrent since its kept newer version.
	newer := w.idx - 1 + w.shift - w.removed
	since := w.kept.Meta.LastModified
	r, due := cfg.NoncurrentExpired(obj, lifecycle.NoncurrentState{Since: since, Newer: newer}, p.now)
	if !due {
		w.kept = ent
		return nil
	}
	if !ent.DeleteMarker && fsstore.CheckDelete(ent.Meta, time.Now(), false) != nil {
		p.counts.KeptLocked++
		w.kept = ent
		return nil
	}
	keep := 0
	if n := r.NoncurrentVersionExpiration.NewerNoncurrentVersions; n != nil {
		keep = *n
	}
	successor, id := w.kept.VersionID, ent.VersionID
	acted, err := p.expire(bucket, ent.Key, id, func(v []fsstore.KeyVersion) bool {
		for i := 1; i < len(v); i++ {
			if v[i].VersionID == id {
				// Still noncurrent, still after the version its age was
				// counted from, still enough newer noncurrent versions.
				return v[i-1].VersionID == successor && i-1 >= keep
			}
		}
		return false
	})
	if !acted {
		w.kept = ent
		return err
	}
	w.removed++
	p.counts.ExpiredVersions++
	if !ent.DeleteMarker {
		p.counts.BytesFreed += ent.Meta.Size
	}
	return err
}

// settleMarker removes the key's latest delete marker when it turned out
// to be the key's only version and a rule removes expired markers.
func (p *pass) settleMarker(bucket string, cfg *lifecycle.Configuration, w *keyWalk) error {
	m := w.marker
	w.marker = nil
	if m == nil || w.idx != 1 {
		return nil
	}
	if _, ok := cfg.RemovesExpiredMarker(m.Key); !ok {
		return nil
	}
	id := m.VersionID
	acted, err := p.expire(bucket, m.Key, id, func(v []fsstore.KeyVersion) bool {
		return len(v) == 1 && v[0].DeleteMarker && v[0].VersionID == id
	})
	if acted {
		p.counts.ExpiredMarkers++
	}
	return err
}

// expire runs one checked removal; a version under object lock is
// counted and skipped, a key that vanished or became unreadable is
// logged and skipped (the pass goes on).
func (p *pass) expire(bucket, key, versionID string, check func([]fsstore.KeyVersion) bool) (bool, error) {
	acted, err := p.e.store.ExpireVersion(p.ctx, bucket, key, versionID, check)
	switch {
	case err == nil:
		return acted, nil
	case errors.Is(err, fsstore.ErrObjectLocked):
		p.counts.KeptLocked++
		return false, nil
	case p.ctx.Err() != nil:
		return false, p.ctx.Err()
	case errors.Is(err, fsstore.ErrNoSuchBucket):
		return false, err
	}
	p.e.o.Logger.Warn("s3: lifecycle: expiring a version", zap.String("bucket", bucket), zap.Int("key_length", len(key)), zap.Error(err))
	return false, nil
}

// uploads aborts the bucket's multipart uploads its rules expire.
func (p *pass) uploads(bucket string, cfg *lifecycle.Configuration) error {
	if !cfg.HasAbortRule() {
		return nil
	}
	opts := fsstore.ListUploadsOptions{MaxUploads: p.e.o.PageSize}
	for {
		page, err := p.e.store.ListMultipartUploads(p.ctx, bucket, opts)
		if err != nil {
			if errors.Is(err, fsstore.ErrNoSuchBucket) {
				return nil
			}
			return err
		}
		for _, u := range page.Uploads {
			if err := p.tick(); err != nil {
				return err
			}
			if !cfg.UploadExpired(u.Key, u.Initiated, p.now) {
				continue
			}
			err := p.e.store.AbortMultipartUpload(p.ctx, bucket, u.Key, u.UploadID)
			switch {
			case err == nil:
				p.counts.AbortedUploads++
			case errors.Is(err, fsstore.ErrNoSuchUpload):
				// completed or aborted meanwhile
			default:
				return err
			}
		}
		if !page.IsTruncated {
			return nil
		}
		opts.KeyMarker, opts.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}
