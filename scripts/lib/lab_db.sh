# The lab's database hosts pg1..pg3: a three-member etcd cluster (the seed
# ran Consul on these hosts) and Patroni with PostgreSQL 15 on each.  etcd
# runs as root, Patroni and PostgreSQL as postgres.  Sourced by scripts/lab.
#
# Uses: DIR HERE PG_HOSTS HOST_IP HOST_NAME PGBIN PYTHON AS_PG DAEMON_ENV
#       and the Patroni settings of lab_patroni.sh.

ETCD_CLIENT_PORT=2379
ETCD_PEER_PORT=2380

etcd_pids() { host_pids "$1" etcd "$DIR/$1/etcd"; }
patroni_pids() { host_pids "$1" patroni "$DIR/$1/patroni.yml"; }
# Every PostgreSQL process of the host: the postmaster and the children that
# renamed themselves ("postgres: patroni_pgdb: checkpointer").
postgres_pids() { host_pids "$1" postgres; }

etcd_initial_cluster() {
	local h out=""
	for h in "${PG_HOSTS[@]}"; do
		out+="${out:+,}${HOST_NAME[$h]}=http://${HOST_IP[$h]}:$ETCD_PEER_PORT"
	done
	echo "$out"
}

etcd_client_hosts() {
	local h out=""
	for h in "${PG_HOSTS[@]}"; do out+="${out:+,}${HOST_IP[$h]}:$ETCD_CLIENT_PORT"; done
	echo "$out"
}

# Arguments for patroni_state.py: NAME=HOST for each member.
member_args() {
	local h
	for h in "${PG_HOSTS[@]}"; do printf '%s=%s ' "${HOST_NAME[$h]}" "${HOST_IP[$h]}"; done
}

# patroni_state.py COMMAND, run on cli: only there is the bridge reachable.
# shellcheck disable=SC2046  # member_args is a list of words
state() { host_exec cli "$PYTHON" "$HERE/lib/patroni_state.py" "$1" $(member_args); }

db_write_configs() {
	local h
	install -d -m 0755 "$DIR"
	lab_patroni_post_bootstrap >"$DIR/post_bootstrap.sh"
	chmod 0755 "$DIR/post_bootstrap.sh"
	for h in "${PG_HOSTS[@]}"; do
		install -d -m 0700 -o "$RUN_AS" -g "$RUN_AS" "$DIR/$h" "$DIR/$h/log"
		install -d -m 0700 "$DIR/$h/etcd"
		lab_patroni_yml "${HOST_NAME[$h]}" "${HOST_IP[$h]}" "$DIR/$h" \
			"$DIR/post_bootstrap.sh" >"$DIR/$h/patroni.yml"
		chown "$RUN_AS:$RUN_AS" "$DIR/$h/patroni.yml"
	done
}

etcd_start() {
	local h=$1 ip=${HOST_IP[$1]}
	[[ -z $(etcd_pids "$h") ]] || return 0
	say "starting etcd on $h ($ip:$ETCD_CLIENT_PORT)"
	host_spawn "$h" "$DIR/$h/etcd.log" "${DAEMON_ENV[@]}" etcd \
		--name "${HOST_NAME[$h]}" --data-dir "$DIR/$h/etcd" \
		--listen-client-urls "http://$ip:$ETCD_CLIENT_PORT" \
		--advertise-client-urls "http://$ip:$ETCD_CLIENT_PORT" \
		--listen-peer-urls "http://$ip:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls "http://$ip:$ETCD_PEER_PORT" \
		--initial-cluster "$(etcd_initial_cluster)" \
		--initial-cluster-token "$SCOPE" --initial-cluster-state new \
		--logger zap --log-outputs stderr
	await_pid etcd_pids "$h" || { tail_logs 20 >&2; die "etcd on $h did not start"; }
}

# SIGTERM etcd on one host (its data stays: etcd_start rejoins it).
etcd_stop() {
	local h=$1 pids
	pids=$(etcd_pids "$h")
	[[ -n $pids ]] || return 0
	kill -TERM $pids 2>/dev/null || true
	if ! wait_gone "$pids" 15; then
		kill -KILL $pids 2>/dev/null || true
		wait_gone "$pids" 5 || die "etcd on $h survives kill -9"
	fi
}

# Every member answers healthy (which needs a quorum).
etcd_wait() {
	local deadline=$((SECONDS + $1)) h bad
	while :; do
		bad=""
		for h in "${PG_HOSTS[@]}"; do
			host_exec cli curl -fsS --max-time 1 "http://${HOST_IP[$h]}:$ETCD_CLIENT_PORT/health" \
				2>/dev/null | grep -q '"health":"true"' || bad+=" $h"
		done
		[[ -z $bad ]] && return 0
		for h in "${PG_HOSTS[@]}"; do
			[[ -n $(etcd_pids "$h") ]] || { tail_logs 30 >&2; die "etcd on $h exited (see $DIR/$h/etcd.log)"; }
		done
		((SECONDS < deadline)) || { tail_logs 30 >&2; die "etcd not healthy after $1 s on:$bad"; }
		sleep 0.3
	done
}

patroni_start() {
	local h=$1
	[[ -z $(patroni_pids "$h") ]] || return 0
	if [[ -n $(postgres_pids "$h") ]]; then
		die "PostgreSQL runs on $h without Patroni: stop it first (scripts/lab kill $h)"
	fi
	say "starting Patroni on $h (${HOST_NAME[$h]}, PostgreSQL ${HOST_IP[$h]}:$PG_PORT, REST API :$REST_PORT)"
	host_spawn "$h" "$DIR/$h/patroni.log" "${AS_PG[@]}" patroni "$DIR/$h/patroni.yml"
	await_pid patroni_pids "$h" || { tail_logs 20 >&2; die "Patroni on $h did not start"; }
}

# SIGTERM Patroni (it stops PostgreSQL first, and gives up the leader key).
patroni_stop() {
	local h=$1 pids
	pids=$(patroni_pids "$h")
	[[ -n $pids ]] || return 0
	kill -TERM $pids 2>/dev/null || true
	if ! wait_gone "$pids" 60; then
		say "Patroni on $h ignored SIGTERM for 60 s; kill -9"
		kill -KILL $pids 2>/dev/null || true
		wait_gone "$pids" 10 || true
	fi
}

# kill -9 Patroni and every PostgreSQL process of the host, as a crash of
# its machine would.  Patroni first (no SIGSTOP: nsenter, its parent, would
# stop itself too and never reap it), so it restarts nothing; PostgreSQL's
# processes stopped first, so that none forks a replacement meanwhile.
db_kill() {
	local h=$1 pids i
	# Patroni and PostgreSQL in one go, as a crash takes them: killing
	# Patroni first and looking for PostgreSQL afterwards left the primary
	# taking writes for seconds on a busy machine.
	for ((i = 0; i < 5; i++)); do
		pids=$(patroni_pids "$h"; postgres_pids "$h")
		[[ -n $pids ]] || return 0
		kill -STOP $pids 2>/dev/null || true
		kill -KILL $pids 2>/dev/null || true
		wait_gone "$pids" 10 || true
	done
	[[ -z $(patroni_pids "$h") ]] || die "Patroni on $h survives kill -9"
	[[ -z $(postgres_pids "$h") ]] || die "PostgreSQL on $h survives kill -9"
}

# One leader running and both other members streaming from it.
db_wait_healthy() {
	local timeout=$1 deadline=$((SECONDS + $1)) why="" last="" h
	while :; do
		if why=$(state health); then return 0; fi
		for h in "${PG_HOSTS[@]}"; do
			if [[ -z $(patroni_pids "$h") ]]; then
				tail_logs 40 >&2
				die "Patroni on $h is not running (see $DIR/$h/patroni.log)"
			fi
		done
		if [[ $why != "$last" ]]; then say "waiting: $why"; last=$why; fi
		((SECONDS < deadline)) || { tail_logs 40 >&2; die "cluster not healthy after ${timeout}s: $why"; }
		sleep 0.5
	done
}

patronictl_cmd() {
	[[ -f $DIR/pg1/patroni.yml ]] || die "no lab in $DIR (run: scripts/lab up)"
	host_exec cli "${DAEMON_ENV[@]}" patronictl -c "$DIR/pg1/patroni.yml" "$@"
}

# Bootstrap settings only apply to a new cluster: bring a running one's
# timing in line with this invocation's (LAB_TTL and friends).
db_converge_dcs_config() {
	local have
	have=$(state config) || die "cannot read the DCS config"
	[[ $have == "$TTL $LOOP_WAIT $RETRY_TIMEOUT" ]] && return
	say "setting ttl=$TTL loop_wait=$LOOP_WAIT retry_timeout=$RETRY_TIMEOUT (was: $have)"
	patronictl_cmd edit-config --force --quiet -s ttl="$TTL" -s loop_wait="$LOOP_WAIT" \
		-s retry_timeout="$RETRY_TIMEOUT" >/dev/null
}

# Host name (pg1) of the member holding the leader key, or nothing.
db_leader() {
	local name h
	name=$(state leader) || return 1
	for h in "${PG_HOSTS[@]}"; do
		[[ ${HOST_NAME[$h]} == "$name" ]] && { echo "$h"; return 0; }
	done
	return 1
}

db_up() {
	local h
	db_write_configs
	for h in "${PG_HOSTS[@]}"; do etcd_start "$h"; done
	etcd_wait 60
	for h in "${PG_HOSTS[@]}"; do patroni_start "$h"; done
	db_wait_healthy "$UP_TIMEOUT"
	db_converge_dcs_config
}
