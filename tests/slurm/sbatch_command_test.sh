#!/usr/bin/env bash
# slurm/train.sbatch without a cluster: CAGCL_DRY_RUN=1 prints the command it would launch. Pins down the
# launch command of both launchers, the run dir per job and per array task, that user strings stay one
# argument each (spaces, quotes, $), and that bad settings are refused with exit code 2.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
script=$root/slurm/train.sbatch
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs the script as Slurm would (a clean set of SLURM_* variables), prints the command's arguments one per
# line (the dry run prints them shell-quoted; eval undoes exactly that quoting).
arguments() {
  local line
  line=$(env -u SLURM_ARRAY_JOB_ID -u SLURM_ARRAY_TASK_ID -u SLURM_RESTART_COUNT SLURM_JOB_ID=1234 \
    SLURM_JOB_NAME=cagcl SLURM_SUBMIT_DIR=/submit SLURM_NTASKS=8 SLURM_NTASKS_PER_NODE=4 CAGCL_DRY_RUN=1 \
    "$@" bash "$script" --set 'train.lr=2e-4')
  eval "printf '%s\n' $line"
}
expect_arguments() {
  local expected=$1 actual
  shift
  actual=$(arguments "$@" | paste -sd' ')
  [[ $actual == "$expected" ]] || fail "$* ->"$'\n'"  got      $actual"$'\n'"  expected $expected"
}

expect_arguments "srun --mpi=pmix --kill-on-bad-exit=1 cagcl train --config base --out /submit/runs/cagcl-1234 --resume auto --set train.lr=2e-4"
expect_arguments "mpirun -np 8 --bind-to none -x OMP_NUM_THREADS -x NCCL_DEBUG --map-by ppr:4:node$([[ $(id -u) -eq 0 ]] && echo ' --allow-run-as-root') /opt/cagcl train --config small --out /submit/runs/cagcl-1234 --resume auto --steps 100 --metrics-port 9500 --set train.lr=2e-4" \
  CAGCL_LAUNCHER=mpirun CAGCL_BIN=/opt/cagcl CAGCL_CONFIG=small CAGCL_STEPS=100 CAGCL_METRICS_PORT=9500

# Array tasks get their own run dir (%A_%a); a job name with odd characters becomes a safe directory name.
expect_arguments "srun --mpi=pmix --kill-on-bad-exit=1 cagcl train --config base --out /submit/runs/my_sweep_-900_7 --resume auto --set train.lr=2e-4" \
  SLURM_ARRAY_JOB_ID=900 SLURM_ARRAY_TASK_ID=7 "SLURM_JOB_NAME=my sweep/"
# CAGCL_RUN_DIR continues an earlier run whatever the job id.
expect_arguments "srun --mpi=pmix --kill-on-bad-exit=1 cagcl train --config base --out /old/runs/cagcl-1 --resume auto --set train.lr=2e-4" \
  CAGCL_RUN_DIR=/old/runs/cagcl-1

# User strings stay single arguments, never split or expanded.
# shellcheck disable=SC2016  # a literal $HOME is the point: it must reach cagcl unexpanded
mapfile -t args < <(arguments 'CAGCL_DATA=/data/CT RATE/$HOME "x"' 'CAGCL_FILE_SD=/shared/file sd' \
  'CAGCL_RUNS=/runs/a b')
# shellcheck disable=SC2016
printf '%s\n' "${args[@]}" | grep -qxF '/data/CT RATE/$HOME "x"' || fail "CAGCL_DATA not passed as one argument: ${args[*]}"
printf '%s\n' "${args[@]}" | grep -qxF 'monitoring.file_sd="/shared/file sd"' ||
  fail "file_sd not passed as one --set argument: ${args[*]}"
printf '%s\n' "${args[@]}" | grep -qxF '/runs/a b/cagcl-1234' || fail "run dir not one argument: ${args[*]}"

# The site hook: CAGCL_ENV_SCRIPT is sourced before the configuration, so its site defaults apply (a value set
# before sbatch still wins) and its exports and PATH changes (module load) reach the launch; `set -u` does not
# break activation scripts that read unset variables.
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
mkdir "$site/bin"
printf '#!/bin/sh\n' >"$site/bin/cagcl"
chmod +x "$site/bin/cagcl"
cat >"$site/env.sh" <<EOF
: "\${CAGCL_CONFIG:=small}"
[ -z "\$CAGCL_UNSET_BY_EVERYONE" ] && export PATH="$site/bin:\$PATH"
CAGCL_BIN=\$(command -v cagcl)
export CAGCL_BIN
EOF
expect_arguments "srun --mpi=pmix --kill-on-bad-exit=1 $site/bin/cagcl train --config small --out /submit/runs/cagcl-1234 --resume auto --set train.lr=2e-4" \
  CAGCL_ENV_SCRIPT="$site/env.sh"
expect_arguments "srun --mpi=pmix --kill-on-bad-exit=1 $site/bin/cagcl train --config tiny --out /submit/runs/cagcl-1234 --resume auto --set train.lr=2e-4" \
  CAGCL_ENV_SCRIPT="$site/env.sh" CAGCL_CONFIG=tiny
# A failing command in the site script ends the job with its status, before anything is launched.
printf 'false\necho still running\n' >"$site/failing.sh"
status=0
output=$(SLURM_JOB_ID=1 CAGCL_DRY_RUN=1 CAGCL_ENV_SCRIPT="$site/failing.sh" bash "$script" 2>&1) || status=$?
if ((status != 1)) || grep -q "still running\|srun" <<<"$output"; then
  fail "a failing site script -> exit $status, expected 1 before the launch: $output"
fi

# Refusals: exit code 2 and a message naming the setting.
expect_refusal() {
  local pattern=$1 output status=0
  shift
  output=$(env "$@" bash "$script" 2>&1) || status=$?
  ((status == 2)) || fail "$* -> exit $status, expected 2: $output"
  grep -qF -- "$pattern" <<<"$output" || fail "$* -> message without '$pattern': $output"
}
expect_refusal "not inside a Slurm job" -u SLURM_JOB_ID
expect_refusal "CAGCL_LAUNCHER='torchrun'" SLURM_JOB_ID=1 CAGCL_LAUNCHER=torchrun
expect_refusal "CAGCL_MAX_RESTARTS='many'" SLURM_JOB_ID=1 CAGCL_MAX_RESTARTS=many
expect_refusal "CAGCL_ENV_SCRIPT='/nonexistent/site env.sh': no such readable file" SLURM_JOB_ID=1 \
  "CAGCL_ENV_SCRIPT=/nonexistent/site env.sh"
echo "PASS: train.sbatch builds the launch commands, run dirs and arguments as documented; CAGCL_ENV_SCRIPT is sourced first"
