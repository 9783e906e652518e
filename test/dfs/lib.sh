#!/usr/bin/env bash
# Brings up and tears down the distributed filesystems of the scale-out
# suite (docs/scale-out.md), as root, on this machine only:
#
#   moosefs:   one mfsmaster and two mfschunkservers, mounted three times
#              with every mfsmount cache off;
#   glusterfs: one glusterd serving a replica-2 volume on two local bricks
#              (stat-prefetch, quick-read, open-behind off), three FUSE
#              mounts with the kernel's attribute and entry caches off.
#
# Their daemons refuse loopback addresses, so each runs in a network
# namespace of its own whose lo carries one private /32 (nothing else is
# routed there). The FUSE clients are started with nsenter --net only: they
# talk to the daemons inside the namespace while their mounts stay in the
# host's mount namespace, where the caddys3 nodes see them.
#
# Source this file, set DFS_WORK (an empty directory) and call dfs_up FS;
# dfs_down FS undoes everything dfs_up did (also half of it) and is safe to
# call twice. After dfs_up, DFS_MOUNTS holds the three mount points,
# colon-separated.

DFS_NETNS_PREFIX=caddys3-dfs
# One /32 for each filesystem, inside its own namespace only.
declare -A DFS_ADDR=([moosefs]=10.213.21.1 [glusterfs]=10.213.21.2)

dfs_log() { echo "dfs: $*" >&2; }

# dfs_can_run tells (exit status) whether this machine can run the suite:
# root, /dev/fuse and network namespaces.
dfs_can_run() {
	[ "$(id -u)" -eq 0 ] && [ -c /dev/fuse ] && command -v ip >/dev/null &&
		command -v nsenter >/dev/null
}

dfs_netns_up() {
	local fs="$1" ns="$DFS_NETNS_PREFIX-$1"
	ip netns del "$ns" 2>/dev/null || true
	ip netns add "$ns" &&
		ip -n "$ns" link set lo up &&
		ip -n "$ns" addr add "${DFS_ADDR[$fs]}/32" dev lo
}

# dfs_in_ns FS CMD... runs CMD in FS's network namespace only (the host's
# mount namespace, so FUSE mounts are seen by everyone).
dfs_in_ns() {
	local fs="$1"
	shift
	nsenter --net="/run/netns/$DFS_NETNS_PREFIX-$fs" "$@"
}

dfs_wait_mount() {
	local m="$1" i
	for i in $(seq 1 100); do
		mountpoint -q "$m" && return 0
		sleep 0.1
	done
	dfs_log "$m did not get mounted"
	return 1
}

# --- MooseFS -----------------------------------------------------------------

dfs_moosefs_up() {
	local w="$DFS_WORK/moosefs" ip="${DFS_ADDR[moosefs]}" i
	mkdir -p "$w/master" "$w/cs1/data" "$w/cs2/data" "$w/cs1/hdd" "$w/cs2/hdd"
	cp /var/lib/mfs/metadata.mfs.empty "$w/master/metadata.mfs"
	echo "$ip/32 / rw,alldirs,maproot=0" >"$w/exports.cfg"
	cat >"$w/mfsmaster.cfg" <<CFG
WORKING_USER = mfs
WORKING_GROUP = mfs
DATA_PATH = $w/master
EXPORTS_FILENAME = $w/exports.cfg
TOPOLOGY_FILENAME = $w/topology.cfg
MATOML_LISTEN_HOST = $ip
MATOCS_LISTEN_HOST = $ip
MATOCL_LISTEN_HOST = $ip
CFG
	: >"$w/topology.cfg"
	for i in 1 2; do
		echo "$w/cs$i/hdd" >"$w/cs$i/hdd.cfg"
		cat >"$w/cs$i/mfschunkserver.cfg" <<CFG
WORKING_USER = mfs
WORKING_GROUP = mfs
DATA_PATH = $w/cs$i/data
HDD_CONF_FILENAME = $w/cs$i/hdd.cfg
HDD_LEAVE_SPACE_DEFAULT = 64MiB
MASTER_HOST = $ip
BIND_HOST = $ip
CSSERV_LISTEN_HOST = $ip
CSSERV_LISTEN_PORT = $((9421 + i))
CFG
	done
	chown -R mfs:mfs "$w"
	dfs_netns_up moosefs || return 1
	dfs_in_ns moosefs mfsmaster -c "$w/mfsmaster.cfg" start >>"$w/daemons.log" 2>&1 || return 1
	for i in 1 2; do
		dfs_in_ns moosefs mfschunkserver -c "$w/cs$i/mfschunkserver.cfg" start >>"$w/daemons.log" 2>&1 || return 1
	done
	DFS_MOUNTS=""
	for i in 1 2 3; do
		mkdir -p "$w/mnt$i"
		dfs_in_ns moosefs mfsmount "$w/mnt$i" -H "$ip" \
			-o mfsattrcacheto=0,mfsentrycacheto=0,mfsdirentrycacheto=0,mfsnegentrycacheto=0,mfsxattrcacheto=0 >>"$w/daemons.log" 2>&1 || return 1
		dfs_wait_mount "$w/mnt$i" || return 1
		DFS_MOUNTS="${DFS_MOUNTS:+$DFS_MOUNTS:}$w/mnt$i"
	done
	# Writable only once both chunkservers have registered.
	for i in $(seq 1 100); do
		if echo ok >"$w/mnt1/.probe" 2>/dev/null && [ "$(cat "$w/mnt2/.probe" 2>/dev/null)" = ok ]; then
			rm -f "$w/mnt1/.probe"
			return 0
		fi
		sleep 0.2
	done
	dfs_log "moosefs: not writable after 20 s"
	return 1
}

dfs_moosefs_down() {
	local w="$DFS_WORK/moosefs" i
	[ -d "$w" ] || return 0
	for i in 1 2 3; do
		umount -l "$w/mnt$i" 2>/dev/null || true
	done
	if [ -e "/run/netns/$DFS_NETNS_PREFIX-moosefs" ]; then
		for i in 1 2; do
			[ -f "$w/cs$i/mfschunkserver.cfg" ] && dfs_in_ns moosefs mfschunkserver -c "$w/cs$i/mfschunkserver.cfg" -s stop >/dev/null 2>&1
		done
		[ -f "$w/mfsmaster.cfg" ] && dfs_in_ns moosefs mfsmaster -c "$w/mfsmaster.cfg" -s stop >/dev/null 2>&1
	fi
	dfs_kill_ns moosefs
}

# --- GlusterFS ---------------------------------------------------------------

dfs_glusterfs_up() {
	local w="$DFS_WORK/glusterfs" ip="${DFS_ADDR[glusterfs]}" vol=caddys3 i
	mkdir -p "$w/state" "$w/log" "$w/run" "$w/brick1" "$w/brick2"
	# glusterd keeps its state in its working-directory; its socket and
	# pid file in run; the transport address comes from the namespace.
	dfs_netns_up glusterfs || return 1
	dfs_in_ns glusterfs glusterd --log-file="$w/log/glusterd.log" -p "$w/run/glusterd.pid" \
		--xlator-option "*.working-directory=$w/state" \
		--xlator-option "*.transport.socket.bind-address=$ip" || return 1
	for i in $(seq 1 100); do
		dfs_in_ns glusterfs gluster --mode=script volume list >/dev/null 2>&1 && break
		sleep 0.2
	done
	dfs_gluster volume create "$vol" replica 2 "$ip:$w/brick1" "$ip:$w/brick2" force || return 1
	for o in performance.stat-prefetch performance.quick-read performance.open-behind; do
		dfs_gluster volume set "$vol" "$o" off || return 1
	done
	dfs_gluster volume start "$vol" || return 1
	DFS_MOUNTS=""
	for i in 1 2 3; do
		mkdir -p "$w/mnt$i"
		dfs_in_ns glusterfs glusterfs --volfile-server="$ip" --volfile-id="$vol" \
			--attribute-timeout=0 --entry-timeout=0 --negative-timeout=0 \
			--log-file="$w/log/mnt$i.log" "$w/mnt$i" || return 1
		dfs_wait_mount "$w/mnt$i" || return 1
		DFS_MOUNTS="${DFS_MOUNTS:+$DFS_MOUNTS:}$w/mnt$i"
	done
}

# dfs_glusterfs_distribute_up makes a second volume, distribute over two
# more bricks (a type the server refuses), and mounts it once; its mount
# point is in DFS_DISTRIBUTE_MOUNT.
dfs_glusterfs_distribute_up() {
	local w="$DFS_WORK/glusterfs" ip="${DFS_ADDR[glusterfs]}"
	mkdir -p "$w/brick3" "$w/brick4" "$w/mnt-dist"
	dfs_gluster volume create dist "$ip:$w/brick3" "$ip:$w/brick4" force &&
		dfs_gluster volume start dist &&
		dfs_in_ns glusterfs glusterfs --volfile-server="$ip" --volfile-id=dist \
			--log-file="$w/log/mnt-dist.log" "$w/mnt-dist" &&
		dfs_wait_mount "$w/mnt-dist" || return 1
	DFS_DISTRIBUTE_MOUNT="$w/mnt-dist"
}

dfs_gluster() {
	dfs_in_ns glusterfs gluster --mode=script "$@" >>"$DFS_WORK/glusterfs/log/cli.log"
}

dfs_glusterfs_down() {
	local w="$DFS_WORK/glusterfs" i
	[ -d "$w" ] || return 0
	for i in 1 2 3 -dist; do
		umount -l "$w/mnt$i" 2>/dev/null || true
	done
	dfs_kill_ns glusterfs
	# glusterd's CLI socket has a fixed place.
	rm -f /var/run/glusterd.socket
}

# dfs_kill_ns FS kills every process left in FS's namespace (the daemons,
# the FUSE clients) and deletes it.
dfs_kill_ns() {
	local ns="$DFS_NETNS_PREFIX-$1" pids i
	[ -e "/run/netns/$ns" ] || return 0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		pids="$(ip netns pids "$ns" 2>/dev/null)"
		[ -n "$pids" ] || break
		# shellcheck disable=SC2086
		if [ "$i" -lt 6 ]; then kill $pids 2>/dev/null; else kill -9 $pids 2>/dev/null; fi
		sleep 0.5
	done
	ip netns del "$ns" 2>/dev/null || true
}

dfs_up() { "dfs_$1_up"; }
dfs_down() { "dfs_$1_down"; }
