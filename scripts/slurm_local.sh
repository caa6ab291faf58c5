#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying and testing the cluster path of
# `scalelab sweep` (submission, preemption, requeue, srun) on a laptop or a CI machine.
#
#   scripts/slurm_local.sh start    # installs slurm-wlm + munge if missing, starts the daemons,
#                                   # waits until the node is idle; a no-op when already up
#   scripts/slurm_local.sh status   # the daemons and sinfo; exit 0 only when the node answers
#   scripts/slurm_local.sh env      # `export SLURM_CONF=...`: eval "$(scripts/slurm_local.sh env)"
#   scripts/slurm_local.sh stop     # cancels its jobs and stops what start started
#
# Everything it writes (slurm.conf, spool, state, logs, pid files) is under $SCALELAB_SLURM_DIR
# (default /tmp/scalelab-slurm); the system's /etc/slurm is never touched, so client commands need
# SLURM_CONF (the `env` line). Needs root (slurmd runs jobs as their users) and apt for the install.
# Process tracking is proctrack/linuxproc with task/none: no cgroups are needed, so it also runs in
# containers. Any failure ends with one line "slurm_local: ..." naming what is missing.
set -euo pipefail

STATE="${SCALELAB_SLURM_DIR:-/tmp/scalelab-slurm}"
CONF="$STATE/slurm.conf"
CTLD_PORT="${SCALELAB_SLURM_PORT:-6817}"
NODE="$(hostname -s)"

say() { echo "[slurm_local] $*" >&2; }
die() {
  echo "slurm_local: $*" >&2
  exit 1
}
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
  command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null &&
    command -v sbatch >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || die "slurm-wlm and munge are not installed and this is not root (apt-get install slurm-wlm munge)"
  command -v apt-get >/dev/null || die "slurm-wlm and munge are not installed and there is no apt-get"
  say "installing slurm-wlm and munge (Debian packages)"
  # Package scripts must not try to start services through an init system that is not there.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >"$STATE/apt.log" 2>&1 || {
    apt-get update -qq >>"$STATE/apt.log" 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >>"$STATE/apt.log" 2>&1 ||
      die "apt-get install slurm-wlm munge failed (see $STATE/apt.log)"
  }
}

# munge authenticates Slurm's messages. An munged already answering (the system's) is used as is;
# otherwise one is started here, as the munge user, and stop ends it again.
start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge /etc/munge
  if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then mungekey --create --keyfile /etc/munge/munge.key
    else dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; fi
  fi
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
  runuser -u munge -- munged --pid-file=/run/munge/munged.pid || die "munged did not start (see /var/log/munge/munged.log)"
  cp /run/munge/munged.pid "$STATE/munged.pid"
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "munged started but \`munge -n | unmunge\` fails (see /var/log/munge/munged.log)"
}

write_conf() {
  local cpus mem
  cpus="$(nproc)"
  # A little under what is free, so slurmd's own check of RealMemory passes.
  mem="$(free -m | awk '/^Mem:/ {print int($7 * 0.9)}')"
  mkdir -p "$STATE/spool" "$STATE/state" "$STATE/log"
  cat >"$CONF" <<EOF
# Written by scripts/slurm_local.sh: a one-node cluster without cgroups.
ClusterName=scalelab-local
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$((CTLD_PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$STATE/state
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$STATE/log/jobcomp.txt
# Quick turnaround for tests: finished jobs stay visible to squeue for 5 minutes.
MinJobAge=300
KillWait=30
# A requeued job waits the credential lifetime (default 120 s) before it may start again.
AuthInfo=cred_expire=10
SchedulerType=sched/backfill
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
}

node_state() { SLURM_CONF="$CONF" sinfo -h -N -n "$NODE" -o %T 2>/dev/null | head -1; }

start() {
  mkdir -p "$STATE"
  if alive "$STATE/slurmctld.pid" && alive "$STATE/slurmd.pid" && [ -n "$(node_state)" ]; then
    say "already running ($(node_state)); $CONF"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || die "slurmd must run as root to start jobs as their users (this is uid $(id -u))"
  install_packages
  start_munge
  write_conf
  # -c: a fresh queue; jobs left from an earlier session must not start again on their own.
  alive "$STATE/slurmctld.pid" || slurmctld -c -f "$CONF" || die "slurmctld did not start (see $STATE/log/slurmctld.log)"
  alive "$STATE/slurmd.pid" || slurmd -f "$CONF" || die "slurmd did not start (see $STATE/log/slurmd.log)"
  local state=""
  for _ in $(seq 120); do
    state="$(node_state)"
    case "$state" in
      idle | mixed | allocated) break ;;
      down* | drain*) SLURM_CONF="$CONF" scontrol update nodename="$NODE" state=resume 2>/dev/null || true ;;
    esac
    sleep 0.5
  done
  case "$state" in
    idle | mixed | allocated) ;;
    *) die "the node did not become idle within 60 s (state '${state:-none}'; see $STATE/log/slurmd.log)" ;;
  esac
  say "node $NODE is $state ($(nproc) CPUs); export SLURM_CONF=$CONF"
}

stop() {
  if alive "$STATE/slurmctld.pid"; then
    # Jobs first, so that no slurmstepd and no training process outlives the cluster.
    # Everyone's: this cluster is ours (a user submits as themselves, stop runs as root).
    SLURM_CONF="$CONF" squeue -h -o %i 2>/dev/null | xargs -r env SLURM_CONF="$CONF" scancel --quiet --full 2>/dev/null || true
    for _ in $(seq 120); do
      [ -z "$(SLURM_CONF="$CONF" squeue -h -t running,completing,configuring -o %i 2>/dev/null)" ] && break
      sleep 0.5
    done
  fi
  for daemon in slurmd slurmctld munged; do
    local pidfile="$STATE/$daemon.pid"
    alive "$pidfile" || continue
    local pid
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  done
  say "stopped"
}

status() {
  local ok=0
  for daemon in munged slurmctld slurmd; do
    if alive "$STATE/$daemon.pid"; then say "$daemon: running (pid $(cat "$STATE/$daemon.pid"))"
    elif [ "$daemon" = munged ] && munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then say "munged: the system's"
    else say "$daemon: not running"; ok=1; fi
  done
  [ -f "$CONF" ] && SLURM_CONF="$CONF" sinfo 2>/dev/null || ok=1
  return $ok
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) die "usage: $0 start|stop|status|env" ;;
esac
