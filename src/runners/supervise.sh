#!/bin/sh
# Runs an agent command under a lifeline, so that no agent outlives the daemon that started it.
#
# Usage: sh supervise.sh GRACE_SECONDS COMMAND [ARG...]
# File descriptor 3 must be the read end of a pipe whose other end only the daemon holds. The daemon
# starts this script as the leader of a new process group. When the daemon exits, however it exits
# (SIGKILL included), the kernel closes its end, the read below sees end-of-file, and the whole
# process group gets SIGTERM, then SIGKILL after the grace period.
grace=$1
shift

# A background command's stdin would be /dev/null; hand it the real one through fd 4.
exec 4<&0
"$@" 0<&4 4<&- 3<&- &
child=$!
exec 4<&-

(
  # The daemon ends a session by signalling the whole group: the watcher must survive that, or a
  # daemon dying during the grace period would leave a stubborn agent behind.
  trap '' TERM INT HUP
  read -r _ <&3
  kill -TERM 0 2>/dev/null
  sleep "$grace"
  kill -KILL 0 2>/dev/null
) 0</dev/null 1>/dev/null 2>&1 &
watcher=$!
exec 3<&-

# The daemon stops a session by signalling the group; this script outlives the agent just long
# enough to report its exit status. The watcher is left alone: the daemon SIGKILLs the group once
# this script exits, and if the daemon is gone the watcher must finish its TERM-then-KILL round.
trap ':' TERM INT HUP
while :; do
  wait "$child"
  code=$?
  kill -0 "$child" 2>/dev/null || break
done
exit "$code"
