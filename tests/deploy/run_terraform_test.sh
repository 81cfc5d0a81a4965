#!/usr/bin/env bash
# run_terraform_test.sh - terraform fmt -check, validate and `terraform test` (mocked AWS
# provider, terraform/tests/plan.tftest.hcl) for each environments/*.tfvars, on a temp copy
# of terraform/ so that no .terraform/ or lock file is written into the repository.
# Offline it needs a terraform binary (>= 1.7) and a provider mirror folder holding
# hashicorp/aws (TF_MIRROR_DIR, or a tf-plugins folder at depth <= 2 of /); without them it
# exits 77 (skipped) unless CCAI_TF_USE_REGISTRY=1 lets terraform download the provider.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || exit 2
cd "$root" || exit 2

if ! command -v terraform > /dev/null 2>&1; then
  echo "run_terraform_test: SKIP: no terraform binary"
  exit 77
fi

work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT

if [ -z "${CCAI_TF_USE_REGISTRY:-}" ]; then
  mirror=${TF_MIRROR_DIR:-$(find / -maxdepth 2 -type d -name tf-plugins 2> /dev/null | head -n 1)}
  if [ -z "$mirror" ] || [ ! -d "$mirror" ]; then
    echo "run_terraform_test: SKIP: no provider mirror (set TF_MIRROR_DIR, or CCAI_TF_USE_REGISTRY=1 to download)"
    exit 77
  fi
  printf 'provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n}\n' "$mirror" > "$work/terraformrc"
  export TF_CLI_CONFIG_FILE="$work/terraformrc"
fi
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

cp -r terraform "$work/tf"
rm -rf "$work/tf/.terraform" "$work/tf/.terraform.lock.hcl"
tf() { terraform -chdir="$work/tf" "$@"; }

rc=0
tf fmt -check -recursive -no-color || { echo "run_terraform_test: terraform fmt -check failed"; rc=1; }
if ! tf init -backend=false -input=false -no-color > "$work/init.log" 2>&1; then
  cat "$work/init.log"
  echo "run_terraform_test: terraform init failed"
  exit 1
fi
tf validate -no-color || rc=1
for f in terraform/environments/*.tfvars; do
  echo "== terraform test -var-file=${f#terraform/}"
  tf test -no-color -var-file="${f#terraform/}" || rc=1
done
if [ "$rc" -ne 0 ]; then
  echo "run_terraform_test: FAILED"
else
  echo "run_terraform_test: passed"
fi
exit "$rc"
