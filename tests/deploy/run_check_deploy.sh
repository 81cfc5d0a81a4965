#!/usr/bin/env bash
# run_check_deploy.sh - run the shared offline validators of the deployment artifacts
# (tfcheck, terraform validate where available, composecheck, actionlint, dockercheck
# and shellcheck) on this repository and exit with their status.
# The validators live in ../shared/tools relative to the repository root; set
# CCAI_SHARED_DIR to use another shared folder (the one that holds tools/check-deploy.sh).
# Needs node >= 20, npm (registry access for npm install) and shellcheck.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || exit 2
cd "$root" || exit 2

shared=${CCAI_SHARED_DIR:-../shared}
if [ -f "$shared/tools/check-deploy.sh" ]; then
  script="$shared/tools/check-deploy.sh"
elif [ -f "$shared/check-deploy.sh" ]; then
  script="$shared/check-deploy.sh"
else
  echo "run_check_deploy: check-deploy.sh not found in $shared/tools (set CCAI_SHARED_DIR to the shared folder)"
  exit 1
fi

if ! command -v node > /dev/null 2>&1; then
  echo "run_check_deploy: node is not installed; the deploy validators need node >= 20 and npm (apt-get install -y nodejs npm)"
  exit 1
fi
if ! command -v npm > /dev/null 2>&1; then
  echo "run_check_deploy: npm is not installed (apt-get install -y npm)"
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]' 2> /dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "run_check_deploy: node $(node --version) is too old; the validators need node >= 20"
  exit 1
fi

echo "run_check_deploy: $script (from $root)"
bash "$script"
status=$?
if [ "$status" -ne 0 ]; then
  echo "run_check_deploy: check-deploy failed with status $status"
fi
exit "$status"
