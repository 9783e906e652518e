#!/usr/bin/env bash
# Builds the caddys3 Debian package from this checkout with dpkg-deb (no
# other tool): the server binary (go build ./cmd/caddy, or --bin), the
# systemd unit, /etc/caddy/Caddyfile from Caddyfile.example and
# /etc/default/caddys3. Prints the .deb's path as its last line.
#
#   bash packaging/deb/build.sh [--out DIR] [--bin PATH] [--version V]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

out="$repo/dist"
bin=""
version=""
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out="$2"; shift 2 ;;
	--bin) bin="$2"; shift 2 ;;
	--version) version="$2"; shift 2 ;;
	*) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done

arch="$(dpkg --print-architecture)"
if [ -z "$version" ]; then
	# No release tags yet: 0~git<commit time>.<hash>, ordered by time.
	version="0~git$(git -C "$repo" log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S).$(git -C "$repo" rev-parse --short=12 HEAD)"
fi

stage="$(mktemp -d "${TMPDIR:-/tmp}/caddys3-deb.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/caddys3"
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/caddy" \
	"$pkg/etc/default" "$pkg/usr/share/doc/caddys3"

if [ -n "$bin" ]; then
	install -m 0755 "$bin" "$pkg/usr/bin/caddys3"
else
	(cd "$repo" && go build -trimpath -o "$pkg/usr/bin/caddys3" ./cmd/caddy)
fi
install -m 0644 "$here/caddys3.service" "$pkg/lib/systemd/system/caddys3.service"
install -m 0644 "$repo/Caddyfile.example" "$pkg/etc/caddy/Caddyfile"
install -m 0640 "$here/default" "$pkg/etc/default/caddys3"
install -m 0644 "$repo/docs/install.md" "$pkg/usr/share/doc/caddys3/install.md"
install -m 0644 "$repo/README.md" "$pkg/usr/share/doc/caddys3/README.md"
gzip -9n <"$repo/CHANGELOG.md" >"$pkg/usr/share/doc/caddys3/changelog.gz"
chmod 0644 "$pkg/usr/share/doc/caddys3/changelog.gz"
cat >"$pkg/usr/share/doc/caddys3/copyright" <<'COPYRIGHT'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: caddys3

Files: *
Copyright: the caddys3 authors
License: Apache-2.0
 On Debian systems the full text of the Apache License 2.0 is in
 /usr/share/common-licenses/Apache-2.0. The binary also contains Caddy and
 the Go modules listed by `caddys3 build-info` under their own licences
 (Apache-2.0, MIT, BSD, ISC, CC0, MPL-2.0).
COPYRIGHT
chmod 0644 "$pkg/usr/share/doc/caddys3/copyright"
for s in postinst prerm postrm; do
	install -m 0755 "$here/$s" "$pkg/DEBIAN/$s"
done
printf '%s\n' /etc/caddy/Caddyfile /etc/default/caddys3 >"$pkg/DEBIAN/conffiles"
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: caddys3
Version: $version
Architecture: $arch
Maintainer: caddys3 maintainers <caddys3@localhost>
Section: net
Priority: optional
Depends: passwd, init-system-helpers
Conflicts: caddy
Installed-Size: $(du -sk "$pkg" | cut -f1)
Description: S3-compatible object storage as a Caddy server
 caddys3 serves the Amazon S3 REST API from a POSIX directory tree as a
 Caddy HTTP handler (the s3 Caddyfile directive), with keys from the
 Caddyfile or from CloudStack's database. The package installs Caddy with
 the module as /usr/bin/caddys3, a hardened systemd unit running as the
 caddys3 user, and /etc/caddy/Caddyfile from the project's example.
CONTROL

mkdir -p "$out"
deb="$out/caddys3_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$pkg" "$deb" >/dev/null
echo "$deb"
