#!/usr/bin/env bash
# Brings up a single-node Slurm cluster on this machine (Debian 12, as root), for the job-array test
# (tests/Multiscale.Cli.Tests/SlurmSweepTests.cs). Needs no systemd and no cgroup delegation: processes are tracked
# by parentage (proctrack/linuxproc), tasks are not confined (task/none), nothing is accounted. Safe to run again:
# packages, key and daemons that are already there are kept; a changed slurm.conf restarts the Slurm daemons.
# Ends when `sinfo` shows the node idle, or prints the daemons' logs and exits 1.
set -euo pipefail

fail() {
  echo "error: slurm-up: $*" >&2
  for log in /var/log/munge/munged.log /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log; do
    [[ -f $log ]] && { echo "--- last lines of $log" >&2; tail -n 30 "$log" >&2; }
  done
  exit 1
}

[[ $(id -u) -eq 0 ]] || { echo "error: slurm-up: run as root (it installs packages and starts daemons)" >&2; exit 1; }

node=$(hostname -s)
cpus=$(nproc)
conf=/etc/slurm/slurm.conf

# 1. Packages. Debian's maintainer scripts would try to start the daemons through init scripts; a policy-rc.d that
#    forbids it keeps this script the only place where they start (and with this configuration).
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  policy_added=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Other jobs on the machine may hold the dpkg lock for a while.
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends slurm-wlm munge
  [[ $policy_added -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
fi

# 2. Munge: a key (kept if present) and the daemon, run as the munge user.
install -d -o munge -g munge -m 0700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 0755 /run/munge
if [[ ! -s /etc/munge/munge.key ]]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.2; done
  munge -n | unmunge >/dev/null 2>&1 || fail "munged does not answer (munge -n | unmunge)"
fi

# 3. slurm.conf for this one node. Daemons and jobs run as root; completed jobs stay visible to scontrol for
#    MinJobAge seconds (there is no accounting database, so no sacct).
install -d -m 0755 /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
new_conf=$(cat <<EOF
# Written by .ci/slurm-up.sh: single-node cluster on $node for the Multiscale tests.
ClusterName=multiscale
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobRequeue=1
MinJobAge=600
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
)
restart=0
if [[ ! -f $conf ]] || [[ "$(cat "$conf")" != "$new_conf" ]]; then
  printf '%s\n' "$new_conf" >"$conf.tmp"
  mv "$conf.tmp" "$conf"
  restart=1
fi

running() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
stop() {
  if running "$1"; then
    local pid
    pid=$(cat "$1")
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
}

# 4. The daemons. slurmctld first, so slurmd registers at once.
if [[ $restart -eq 1 ]]; then stop /run/slurmd.pid; stop /run/slurmctld.pid; fi
running /run/slurmctld.pid || slurmctld || fail "slurmctld did not start"
for _ in $(seq 50); do scontrol ping >/dev/null 2>&1 && break; sleep 0.2; done
scontrol ping >/dev/null 2>&1 || fail "slurmctld does not answer (scontrol ping)"
running /run/slurmd.pid || slurmd || fail "slurmd did not start"

# 5. Wait for the node. A node left down or drained by an earlier run is resumed.
state=
for _ in $(seq 120); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null | head -n 1)
  case $state in
    idle|mixed|allocated) break ;;
    down*|drain*|fail*) scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
done
case $state in
  idle|mixed|allocated) echo "slurm-up: node $node is $state ($cpus CPUs, $(sinfo --version))" ;;
  *) fail "node $node did not become idle within 60 s (sinfo: '${state:-no answer}')" ;;
esac
