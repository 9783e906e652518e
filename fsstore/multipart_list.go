package fsstore

import (
	"cmp"
	"context"
	"errors"
	"io/fs"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const maxListUploads = 1000

// ListMultipartUploads returns one page of bucket's in-progress uploads
// (not those being completed), ordered by key and then upload id, which
// is initiation order. With only KeyMarker, uploads of keys after it are
// listed; with UploadIDMarker too, also the uploads of KeyMarker itself
// whose id sorts after UploadIDMarker. With Delimiter, keys with it after
// Prefix are rolled up into common prefixes (each counting as one entry);
// a common prefix is listed only if it sorts after KeyMarker. MaxUploads
// outside 1..1000 means 1000. The page is built from a scan of all the
// bucket's uploads.
func (s *Store) ListMultipartUploads(ctx context.Context, bucket string, o ListUploadsOptions) (ListUploadsResult, error) {
	var res ListUploadsResult
	if !ValidBucketName(bucket) {
		return res, ErrNoSuchBucket
	}
	if err := s.checkBucket(bucket); err != nil {
		return res, err
	}
	limit := o.MaxUploads
	if limit <= 0 || limit > maxListUploads {
		limit = maxListUploads
	}
	ups, err := s.scanUploads(ctx, bucket, o.Prefix)
	if err != nil {
		return res, err
	}
	km, im := o.KeyMarker, o.UploadIDMarker
	if km == "" {
		im = ""
	}
	n, lastCP := 0, ""
	for _, u := range ups {
		if !(u.Key > km || (u.Key == km && im != "" && u.UploadID > im)) {
			continue
		}
		cp := ""
		if o.Delimiter != "" {
			if i := strings.Index(u.Key[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp = u.Key[:len(o.Prefix)+i+len(o.Delimiter)]
			}
		}
		if cp != "" && (cp <= km || cp == lastCP) {
			continue
		}
		if n == limit {
			res.IsTruncated = true
			break
		}
		n++
		if cp != "" {
			res.CommonPrefixes = append(res.CommonPrefixes, cp)
			lastCP = cp
			res.NextKeyMarker, res.NextUploadIDMarker = cp, ""
		} else {
			res.Uploads = append(res.Uploads, u)
			res.NextKeyMarker, res.NextUploadIDMarker = u.Key, u.UploadID
		}
	}
	if !res.IsTruncated {
		res.NextKeyMarker, res.NextUploadIDMarker = "", ""
	}
	return res, nil
}

// scanUploads reads every in-progress upload of bucket whose key has
// prefix, sorted by key and id.
func (s *Store) scanUploads(ctx context.Context, bucket, prefix string) ([]Upload, error) {
	names, err := s.readDirNames(bucketUploads(bucket))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ups []Upload
	for _, id := range names {
		if claimOf, ok := strings.CutSuffix(id, claimSuffix); ok && validUploadID(claimOf) {
			// A dead Complete's claim: the upload is back once taken over.
			if !s.recoverClaim(bucket, claimOf, s.claimStaleAfter()) {
				continue
			}
			id = claimOf
		}
		if !validUploadID(id) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rec, err := s.loadUploadRecord(uploadDir(bucket, id))
		if err == errNoRecord {
			continue // aborted or claimed meanwhile
		}
		if err != nil {
			return nil, err
		}
		if rec.Bucket == bucket && strings.HasPrefix(rec.Key, prefix) {
			ups = append(ups, rec.upload(id))
		}
	}
	slices.SortFunc(ups, func(a, b Upload) int {
		return cmp.Or(strings.Compare(a.Key, b.Key), strings.Compare(a.UploadID, b.UploadID))
	})
	return ups, nil
}

// CleanupUploads aborts every upload initiated before now-olderThan and
// removes what crashed processes left behind: claims of Completes that
// stopped refreshing them before the cutoff (completed ones are removed,
// those of uploads initiated before the cutoff aborted, the others
// un-claimed so the client can complete again), done records older than
// the cutoff, uploads of deleted buckets and stale staging files. It
// returns the number of uploads aborted.
func (s *Store) CleanupUploads(ctx context.Context, olderThan time.Duration) (removed int, err error) {
	cutoff := time.Now().Add(-olderThan)
	buckets, err := s.readDirNames(uploadsDir)
	if err != nil {
		return 0, err
	}
	for _, bucket := range buckets {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if !ValidBucketName(bucket) {
			continue
		}
		info, err := s.Bucket(ctx, bucket)
		if errors.Is(err, ErrNoSuchBucket) {
			ups, _ := s.scanUploads(ctx, bucket, "")
			s.dropUploads(bucket)
			removed += len(ups)
			continue
		}
		n, err := s.cleanupBucketUploads(ctx, bucket, s.uploadCutoff(info, err, cutoff))
		removed += n
		if err != nil {
			return removed, err
		}
	}
	s.cleanTemp()
	return removed, nil
}

func (s *Store) cleanupBucketUploads(ctx context.Context, bucket string, cutoff time.Time) (removed int, err error) {
	names, err := s.readDirNames(bucketUploads(bucket))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return 0, nil // no uploads, or the bucket's were just dropped
	}
	if err != nil {
		return 0, err
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		path := bucketUploads(bucket) + "/" + name
		switch {
		case validUploadID(name):
			initiated, err := s.initiated(path)
			if err == nil && initiated.Before(cutoff) && s.removeUpload(bucket, name, path) {
				removed++
			}
		case strings.HasSuffix(name, claimSuffix), strings.Contains(name, reclaimSuffix):
			// A claim, or one whose take-over was interrupted. A live
			// Complete refreshes its claim: one not refreshed for the
			// stale bound (or since the cutoff) is a dead Complete's and
			// is taken over (see claim.go); the upload it returns is then
			// treated by its age like any other.
			id, ok := uploadIDOf(name)
			if !ok {
				continue
			}
			staleAfter := min(time.Since(cutoff), s.claimStaleAfter())
			if strings.Contains(name, reclaimSuffix) {
				// The rename that made it set its ctime: one renamed
				// recently may be in a live recoverer's hands.
				fi, err := s.root.Lstat(path)
				if err != nil || time.Since(time.Unix(fi.Sys().(*unix.Stat_t).Ctim.Unix())) <= s.claimStaleAfter() ||
					!s.finishRecover(bucket, id, path, staleAfter) {
					continue
				}
			} else if !s.recoverClaim(bucket, id, staleAfter) {
				continue
			}
			dir := uploadDir(bucket, id)
			if initiated, err := s.initiated(dir); err == nil && initiated.Before(cutoff) && s.removeUpload(bucket, id, dir) {
				removed++
			}
		case strings.HasSuffix(name, doneSuffix):
			if fi, err := s.root.Lstat(path); err == nil && fi.ModTime().Before(cutoff) {
				s.root.Remove(path)
			}
		}
	}
	return removed, nil
}

// initiated is the initiation time of the upload directory dir; the
// directory's mtime when its record is unreadable.
func (s *Store) initiated(dir string) (time.Time, error) {
	rec, err := s.loadUploadRecord(dir)
	if err == nil {
		return rec.Initiated, nil
	}
	fi, err := s.root.Lstat(dir)
	if err != nil {
		return time.Time{}, err
	}
	return fi.ModTime(), nil
}
