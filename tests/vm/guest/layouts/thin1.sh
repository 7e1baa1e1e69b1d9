# shellcheck shell=sh disable=SC2034 # sourced by /init; names read there
# thin1: thin.sh's thin_n with 1 thin LVs and their snapshots (bench/vm-thin.sh)
LAY_thin1_MODULES="dm_thin_pool"
lay_thin1_setup() { thin_n_setup 1; }
lay_thin1_open() { lay_thin_open; }
lay_thin1_check() { thin_n_check; }
