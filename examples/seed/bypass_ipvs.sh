#!/bin/sh
# bypass_ipvs.sh add|del VIP: the seed document's notify script for a director.
#
# In the seed's setup a director that is not MASTER can still serve the VIP itself, the way a
# real server does: it does not hold the VIP, so netfilter redirects TCP for the VIP to the local
# machine. keepalived (and keeld) run it on each VRRP state change:
#   notify_master "bypass_ipvs.sh del VIP"   the VIP is ours: its traffic goes to the load
#                                            balancer, so the local redirect goes
#   notify_backup "bypass_ipvs.sh add VIP"   another director holds the VIP and may send us its
#   notify_fault  "bypass_ipvs.sh add VIP"   packets (DR keeps the VIP as destination): accept
#                                            them locally
# Idempotent: "add" adds the rule only when missing, "del" removes every copy. Exit 0 on
# success, 1 when iptables fails, 2 on bad arguments.
set -u

usage() {
  echo "usage: $0 add|del VIP" >&2
  exit 2
}

[ $# -eq 2 ] || usage
vip=$2
case "$vip" in
  "" | *[!0-9A-Fa-f.:]*) usage ;;
  *:*) ipt=ip6tables ;;
  *) ipt=iptables ;;
esac

rule() {  # rule -A|-C|-D: the seed's REDIRECT rule for the VIP
  "$ipt" -w 5 -t nat "$1" PREROUTING -d "$vip" -p tcp -j REDIRECT
}

case "$1" in
  add)
    rule -C 2>/dev/null || rule -A || exit 1
    ;;
  del)
    n=0
    while rule -C 2>/dev/null; do
      rule -D || exit 1
      n=$((n + 1))
      [ "$n" -lt 100 ] || exit 1
    done
    ;;
  *) usage ;;
esac
exit 0
