package fsstore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// refVersionPage is the ListObjectVersions page the model m gives for o:
// its items ("key id latest=…" or "P prefix"), whether it is truncated,
// and the markers of its last item. Keys ascend, each key's versions
// newest first; a common prefix stands once for the keys it rolls up and
// counts as one item; a key marker that is a common prefix skips what is
// under it (AWS's ListObjectVersions, as ListObjects does with a marker).
func refVersionPage(m vmodel, o ListVersionsOptions) (items []string, truncated bool, nextKey, nextVid string) {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if len(v) > 0 && strings.HasPrefix(k, o.Prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	skipUnder := ""
	if d := o.Delimiter; d != "" && o.VersionIDMarker == "" && strings.HasPrefix(o.KeyMarker, o.Prefix) {
		if i := strings.Index(o.KeyMarker[len(o.Prefix):], d); i >= 0 && len(o.Prefix)+i+len(d) == len(o.KeyMarker) {
			skipUnder = o.KeyMarker
		}
	}
	n, lastCP := 0, ""
	for _, k := range keys {
		switch {
		case o.KeyMarker != "" && k < o.KeyMarker,
			o.KeyMarker != "" && k == o.KeyMarker && o.VersionIDMarker == "",
			skipUnder != "" && strings.HasPrefix(k, skipUnder):
			continue
		}
		if d := o.Delimiter; d != "" {
			if i := strings.Index(k[len(o.Prefix):], d); i >= 0 {
				cp := k[:len(o.Prefix)+i+len(d)]
				if cp == lastCP || cp == o.KeyMarker {
					continue
				}
				if n == o.MaxKeys {
					return items, true, nextKey, nextVid
				}
				lastCP = cp
				items = append(items, "P "+cp)
				nextKey, nextVid = cp, ""
				n++
				continue
			}
		}
		versions := m[k]
		if k == o.KeyMarker {
			i := slices.IndexFunc(versions, func(v string) bool { return strings.TrimPrefix(v, "m:") == o.VersionIDMarker })
			versions = versions[i+1:]
		}
		for _, v := range versions {
			if n == o.MaxKeys {
				return items, true, nextKey, nextVid
			}
			items = append(items, fmt.Sprintf("%s %s latest=%v", k, v, v == m[k][0]))
			nextKey, nextVid = k, strings.TrimPrefix(v, "m:")
			n++
		}
	}
	return items, false, "", ""
}

// TestVersionsKeySpace writes, overwrites and deletes (markers and
// versions by id) a seeded set of colliding keys in an Enabled bucket, and
// compares ListObjectVersions page by page (prefixes, delimiter "/" and
// none, page sizes) with the model, and ListObjects (V1 and V2 paging)
// with the keys whose latest version is not a delete marker.
func TestVersionsKeySpace(t *testing.T) {
	for seed := range uint64(2) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			s := newStore(t, seed == 1)
			vstoreBucket(t, s, VersioningEnabled)
			rng := rand.New(rand.NewPCG(seed, 99))
			keys := collidingKeys(rng, 40)
			m := vmodel{}
			for i := 0; i < 160; i++ {
				k := keys[rng.IntN(len(keys))]
				switch r := rng.IntN(10); {
				case r < 6:
					var body []byte
					if !strings.HasSuffix(k, "/") || rng.IntN(2) == 0 {
						body = []byte(fmt.Sprint(i))
					}
					m[k] = append([]string{put(t, s, "vbk", k, body).VersionID}, m[k]...)
				case r < 8:
					dr, err := s.DeleteObjectVersion(ctx, "vbk", k, "", "owner")
					if err != nil {
						t.Fatal(err)
					}
					m[k] = append([]string{"m:" + dr.VersionID}, m[k]...)
				default:
					if len(m[k]) == 0 {
						continue
					}
					j := rng.IntN(len(m[k]))
					if _, err := s.DeleteObjectVersion(ctx, "vbk", k, strings.TrimPrefix(m[k][j], "m:"), "owner"); err != nil {
						t.Fatal(err)
					}
					m[k] = append(m[k][:j:j], m[k][j+1:]...)
				}
			}
			var live []string
			for k, v := range m {
				if len(v) > 0 && !strings.HasPrefix(v[0], "m:") {
					live = append(live, k)
				}
			}
			sort.Strings(live)
			prefixes := []string{"", "a", "a/", "a//", "d/", "%%", "."}
			for range 5 {
				k := keys[rng.IntN(len(keys))]
				prefixes = append(prefixes, k[:rng.IntN(len(k)+1)])
			}
			for _, prefix := range prefixes {
				for _, delim := range []string{"", "/"} {
					for _, mk := range []int{1, 2, 3, 1000} {
						o := ListVersionsOptions{Prefix: prefix, Delimiter: delim, MaxKeys: mk}
						for page := 0; ; page++ {
							got, err := s.ListObjectVersions(ctx, "vbk", o)
							if err != nil {
								t.Fatal(err)
							}
							var items []string
							for _, e := range got.Entries {
								v := e.VersionID
								if e.DeleteMarker {
									v = "m:" + v
								}
								items = append(items, fmt.Sprintf("%s %s latest=%v", e.Key, v, e.IsLatest))
							}
							for _, cp := range got.CommonPrefixes {
								items = append(items, "P "+cp)
							}
							want, trunc, nk, nv := refVersionPage(m, o)
							sort.Strings(items)
							sortedWant := slices.Sorted(slices.Values(want))
							if !equalStrings(items, sortedWant) || got.IsTruncated != trunc || got.NextKeyMarker != nk || got.NextVersionIDMarker != nv {
								t.Fatalf("%+v page %d:\n got %q truncated=%v next %q %q\nwant %q truncated=%v next %q %q",
									o, page, items, got.IsTruncated, got.NextKeyMarker, got.NextVersionIDMarker, want, trunc, nk, nv)
							}
							if !got.IsTruncated {
								break
							}
							if page > 400 {
								t.Fatal("pagination does not end")
							}
							o.KeyMarker, o.VersionIDMarker = got.NextKeyMarker, got.NextVersionIDMarker
						}
						lo := ListOptions{Prefix: prefix, Delimiter: delim, MaxKeys: mk}
						for page := 0; ; page++ {
							got, err := s.ListObjects(ctx, "vbk", lo)
							if err != nil {
								t.Fatal(err)
							}
							if want := refList(live, lo); !sameListing(got, want) {
								t.Fatalf("ListObjects %+v:\n got %q %q %v %q\nwant %q %q %v %q", lo, keysOf(got), got.CommonPrefixes, got.IsTruncated, got.Next,
									keysOf(want), want.CommonPrefixes, want.IsTruncated, want.Next)
							}
							if !got.IsTruncated {
								break
							}
							if page > 400 {
								t.Fatal("pagination does not end")
							}
							lo.After = got.Next
						}
					}
				}
			}
		})
	}
}
