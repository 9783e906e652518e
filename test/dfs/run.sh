#!/usr/bin/env bash
# The distributed-filesystem stage (docs/scale-out.md): for each of
# MooseFS and GlusterFS (or the ones named as arguments), bring the
# filesystem up (test/dfs/lib.sh), run the scale-out suite of test/e2e
# (TestDFS: three caddys3 nodes on three mounts of one volume behind a
# Caddy load balancer) and tear it down, also when the suite fails or the
# script is interrupted.
#
# Needs root, /dev/fuse and the Debian packages of test/install-deps
# (moosefs-master, moosefs-chunkserver, moosefs-client, glusterfs-server,
# glusterfs-client). CADDYS3_BIN tests a prebuilt binary.
# Exit status: non-zero when any filesystem failed to come up or any suite
# failed; the last line is "dfs: N passed, M failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=lib.sh
source test/dfs/lib.sh

if ! dfs_can_run; then
	echo "dfs: this machine cannot run the suite (needs root, /dev/fuse, ip and nsenter)"
	exit 1
fi
filesystems=("$@")
[ ${#filesystems[@]} -gt 0 ] || filesystems=(moosefs glusterfs)

DFS_WORK="$(mktemp -d /var/tmp/caddys3-dfs.XXXXXX)"
# The daemons run as mfs and must reach their directories.
chmod 755 "$DFS_WORK"
current=""
cleanup() {
	[ -n "$current" ] && dfs_down "$current"
	rm -rf "$DFS_WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One server binary and one test binary for every filesystem.
if [ -z "${CADDYS3_BIN:-}" ]; then
	echo "dfs: building the server"
	timeout 600 go build -o "$DFS_WORK/caddy" ./cmd/caddy || exit 1
	CADDYS3_BIN="$DFS_WORK/caddy"
fi
export CADDYS3_BIN
timeout 600 go test -c -tags dfs -o "$DFS_WORK/e2e.test" ./test/e2e || exit 1

passed=0
failed=0
for fs in "${filesystems[@]}"; do
	echo "=== dfs: $fs"
	current="$fs"
	start=$(date +%s)
	log="$DFS_WORK/$fs-test.log"
	# On GlusterFS, also a distribute volume that the server must refuse.
	tests='^TestDFS$'
	DFS_DISTRIBUTE_MOUNT=""
	[ "$fs" = glusterfs ] && tests='^(TestDFS|TestDFSRefusesDistributeVolume)$'
	if ! dfs_up "$fs" || { [ "$fs" = glusterfs ] && ! dfs_glusterfs_distribute_up; }; then
		echo "dfs: FAIL: $fs did not come up"
		failed=$((failed + 1))
	elif (cd test/e2e && CADDYS3_DFS_MOUNTS="$DFS_MOUNTS" CADDYS3_DFS_NAME="$fs" CADDYS3_DFS_DISTRIBUTE_MOUNT="$DFS_DISTRIBUTE_MOUNT" \
		timeout 330 "$DFS_WORK/e2e.test" -test.count=1 -test.timeout 320s -test.v -test.run "$tests") >"$log" 2>&1; then
		grep -E '^\s*--- |dfs summary|^ok|^PASS' "$log"
		passed=$((passed + 1))
		echo "dfs: $fs passed in $(($(date +%s) - start))s"
	else
		grep -vE 'health_checker' "$log" | tail -n 80
		echo "dfs: FAIL: $fs (after $(($(date +%s) - start))s)"
		failed=$((failed + 1))
	fi
	dfs_down "$fs"
	current=""
done
echo "dfs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
