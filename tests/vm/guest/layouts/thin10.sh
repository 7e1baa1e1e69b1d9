# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# thin10: thin.sh's thin_n with 10 thin LVs and their snapshots (bench/vm-thin.sh)
LAY_thin10_MODULES="dm_thin_pool"
lay_thin10_setup() { thin_n_setup 10; }
lay_thin10_open() { lay_thin_open; }
lay_thin10_check() { thin_n_check; }
