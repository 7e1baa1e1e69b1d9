# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# thin100: thin.sh's thin_n with 100 thin LVs and their snapshots (bench/vm-thin.sh)
LAY_thin100_MODULES="dm_thin_pool"
lay_thin100_setup() { thin_n_setup 100; }
lay_thin100_open() { lay_thin_open; }
lay_thin100_check() { thin_n_check; }
