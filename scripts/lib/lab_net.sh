# The lab's six hosts: a network namespace each on one bridge, and in each a
# "host" of its own (PID, mount, UTS and IPC namespaces) so that what a
# daemon sees of the machine is what it saw on the seed's VMs: keepalived's
# `killall -0 haproxy` on lb1 must not find lb2's HAProxy, and PostgreSQL's
# shared memory goes away with its host.  Sourced by scripts/lab.
#
# Uses: DIR (the run dir), HOSTS, HOST_IP, HOST_NAME, PREFIX, SWITCH, NETMASK.
#
#   pgflab-sw     br0, the switch: one veth port per host, no address
#   pgflab-HOST   eth0 with HOST's address, lo; no route beyond the /24
#
# Each host's PID 1 is a "holder" (a bash loop that reaps orphans); every
# daemon is started by nsenter into the holder's namespaces, so killing the
# holder with SIGKILL ends everything that host runs.

ns_of() { echo "$PREFIX$1"; }
ns_exists() { [[ -e /run/netns/$1 ]]; }

# Every namespace whose name starts with our prefix, the switch included:
# what `down` removes, even those a half-failed `up` left without a record.
lab_namespaces() {
	ip netns list 2>/dev/null | awk -v p="$PREFIX" 'index($1, p) == 1 { print $1 }'
}

net_switch_up() {
	ns_exists "$SWITCH" && return 0
	ip netns add "$SWITCH"
	ip -n "$SWITCH" link set lo up
	# No STP and no forwarding delay: a port forwards as soon as it is up.
	ip -n "$SWITCH" link add br0 type bridge stp_state 0 forward_delay 0
	ip -n "$SWITCH" link set br0 up
}

# net_host_up HOST: its namespace, its veth to the switch, its address.
net_host_up() {
	local h=$1 ns port
	ns=$(ns_of "$h")
	port=v-$h
	ns_exists "$ns" || ip netns add "$ns"
	if ! ip -n "$ns" link show eth0 >/dev/null 2>&1; then
		ip -n "$SWITCH" link add "$port" type veth peer name eth0 netns "$ns"
		ip -n "$SWITCH" link set "$port" master br0 up
	fi
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	ip -n "$ns" -4 addr replace "${HOST_IP[$h]}/$NETMASK" dev eth0
}

# holder_pid HOST: the PID (as root sees it) of HOST's PID 1, when alive.
holder_pid() {
	local f=$DIR/hosts/$1.holder pid
	[[ -r $f ]] || return 1
	pid=$(tr -dc 0-9 <"$f")
	[[ -n $pid ]] || return 1
	# Still PID 1 of a namespace of its own, in the right network namespace.
	awk '$1 == "NSpid:" { exit !($NF == 1 && NF > 2) }' "/proc/$pid/status" 2>/dev/null || return 1
	[[ $(ip netns identify "$pid" 2>/dev/null) == "$(ns_of "$1")" ]] || return 1
	echo "$pid"
}

holder_start() {
	local h=$1 ns outer pid i
	holder_pid "$h" >/dev/null && return 0
	ns=$(ns_of "$h")
	install -d -m 0755 "$DIR/hosts"
	# unshare forks: the child is PID 1 of the new namespace.  It names itself
	# after the seed's VM and then only waits, reaping adopted orphans.
	setsid ip netns exec "$ns" unshare --pid --fork --mount-proc --uts --ipc \
		bash -c 'hostname "$1"; trap "exit 0" TERM; while :; do sleep 3600 & wait $!; done' \
		"${PREFIX}holder-$h" "${HOST_NAME[$h]}" </dev/null >/dev/null 2>&1 9>&- &
	outer=$!
	for ((i = 0; i < 50; i++)); do
		pid=$(pgrep -P "$outer" -x bash | head -n1) || true
		if [[ -n $pid ]]; then
			echo "$pid" >"$DIR/hosts/$h.holder"
			holder_pid "$h" >/dev/null && return 0
		fi
		sleep 0.1
	done
	die "could not start host $h (namespace $ns)"
}

# host_exec HOST CMD...: run CMD on HOST, in the foreground.
host_exec() {
	local h=$1 pid
	shift
	pid=$(holder_pid "$h") || die "host $h is not running (scripts/lab up)"
	nsenter -t "$pid" -p -m -n -u -i -- "$@"
}

# host_spawn HOST LOG CMD...: start the daemon CMD on HOST in the background,
# in a session of its own (a Ctrl-C meant for the caller must not reach it),
# stdout and stderr appended to LOG.
host_spawn() {
	local h=$1 log=$2 pid
	shift 2
	pid=$(holder_pid "$h") || die "host $h is not running (scripts/lab up)"
	setsid nsenter -t "$pid" -p -m -n -u -i -- "$@" </dev/null >>"$log" 2>&1 9>&- &
}

# host_pids HOST COMM [PATTERN]: PIDs (as root sees them) of HOST's processes
# named COMM whose command line contains PATTERN.  nsenter itself, which
# shares the network namespace but not the PID namespace, is left out.
host_pids() {
	local h=$1 comm=$2 pat=${3:-} holder p c args
	holder=$(holder_pid "$h") || return 0
	# Builtins only, but for the command line of a name that matched: a
	# primary under load has a hundred processes, and forks per process
	# made `scripts/lab kill` take seconds on a busy machine.
	for p in $(ip netns pids "$(ns_of "$h")" 2>/dev/null); do
		read -r c 2>/dev/null <"/proc/$p/comm" || continue
		[[ $c == "$comm" ]] || continue
		[[ /proc/$p/ns/pid -ef /proc/$holder/ns/pid ]] || continue
		if [[ -n $pat ]]; then
			args=$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline") || continue
			[[ $args == *"$pat"* ]] || continue
		fi
		echo "$p"
	done
}

# await_pid FUNC HOST: wait (5 s at most) until `FUNC HOST` names a process:
# a daemon just spawned is a few execs (nsenter, env, setpriv) from its name.
await_pid() {
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -n $("$1" "$2") ]] && return 0
		sleep 0.1
	done
	return 1
}

# Wait up to $2 seconds until none of the PIDs in $1 runs (zombies count as gone).
wait_gone() {
	local pids=$1 deadline=$((SECONDS + $2)) p alive stat
	while :; do
		alive=""
		for p in $pids; do
			# The state is the field after the ")" that ends the name.
			read -r stat 2>/dev/null <"/proc/$p/stat" || continue
			stat=${stat##*) }
			[[ ${stat%% *} == Z ]] || alive+=" $p"
		done
		[[ -z $alive ]] && return 0
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

net_up() {
	local h
	net_switch_up
	for h in "${HOSTS[@]}"; do
		net_host_up "$h"
		holder_start "$h"
	done
}

# Kill everything in every lab namespace, then remove the namespaces.
# SIGKILL to a holder ends its whole PID namespace at once; anything else in
# the network namespaces (a process started with plain `ip netns exec`, an
# nsenter) goes the same way.
net_down() {
	local ns pids left i p stat
	for ns in $(lab_namespaces); do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		[[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
	done
	for ((i = 0; i < 50; i++)); do
		left=""
		for ns in $(lab_namespaces); do
			left+=$(ip netns pids "$ns" 2>/dev/null | while read -r p; do
				stat=$(ps -o stat= -p "$p" 2>/dev/null) && [[ $stat != Z* ]] && echo -n " $p"
			done)
		done
		[[ -z $left ]] && break
		sleep 0.1
	done
	[[ -z $left ]] || die "processes survive kill -9 in the lab namespaces:$left"
	for ns in $(lab_namespaces); do
		ip netns del "$ns" 2>/dev/null || true
	done
	[[ -z $(lab_namespaces) ]] || die "namespaces remain: $(lab_namespaces | tr '\n' ' ')"
}
