#!/usr/bin/env bash
# check_docs_match_terraform.sh - every name that docs/deployment.md and docs/runbook.md
# tell an operator to type must exist in terraform/:
#   terraform output NAME            -> output "NAME" declared in terraform/*.tf
#   {env}/orchestrator/NAME          -> that secret name (with ${var.environment})
#   AmazonMSK_{env}-orchestrator     -> the MSK SCRAM secret name
#   /ecs/contact-center-orchestrator-{env}   -> the log group
#   {env}-orchestrator-...           -> IAM roles, policies, services, task definition families
#   contact-center-orchestrator-{env}        -> the ECS cluster
#   -var="NAME=..." / TF_VAR_NAME    -> variable "NAME" declared
#   environments/X.tfvars            -> the file exists
# The environment may be written staging, production, {env}, <env> or $ENVIRONMENT.
# Usage (from anywhere): tests/deploy/check_docs_match_terraform.sh
# Exit status: 0 all found, 1 something is missing (each miss is printed), 2 usage error.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || exit 2
cd "$root" || exit 2

docs=(docs/deployment.md docs/runbook.md)
tfdir=terraform
for f in "${docs[@]}"; do
  if [ ! -f "$f" ]; then
    echo "FAIL: $f is missing"
    exit 1
  fi
done
if [ ! -f "$tfdir/main.tf" ]; then
  echo "FAIL: $tfdir/main.tf is missing"
  exit 1
fi

ENV_RE='(staging|production|\{env\}|<env>|<environment>|\$\{?ENVIRONMENT\}?)'
# shellcheck disable=SC2016 # a literal Terraform interpolation, not a shell expansion
TF_ENV='${var.environment}'
failures=0
checks=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
pass() {
  checks=$((checks + 1))
  [ -n "${VERBOSE:-}" ] && echo "ok:   $*"
  return 0
}

# normalize_env TEXT: write every spelling of the environment as ${var.environment}
normalize_env() {
  sed -E "s#^${ENV_RE}#${TF_ENV}#; s#([/_ .=\"'(:-])${ENV_RE}#\\1${TF_ENV}#g" <<< "$1"
}

# doc_tokens REGEX: unique matches of REGEX in the docs, code blocks and prose alike
doc_tokens() {
  cat "${docs[@]}" | grep -oE -- "$1" | sort -u
}

# --- a searchable copy of the Terraform with locals and module names resolved -------------
corpus=$(mktemp) || exit 2
trap 'rm -f "$corpus"' EXIT

# local.NAME = "...${var.environment}..." definitions of the root module
declare -A local_value=()
while IFS=$'\t' read -r lname lvalue; do
  local_value[$lname]=$lvalue
done < <(awk '
  /^locals[[:space:]]*\{/ { inloc = 1; next }
  inloc && /^\}/ { inloc = 0 }
  inloc && /^[[:space:]]*[a-z_]+[[:space:]]*=[[:space:]]*"[^"]*\$\{var\.environment\}[^"]*"[[:space:]]*$/ {
    line = $0
    sub(/^[[:space:]]*/, "", line)
    lname = line; sub(/[[:space:]]*=.*/, "", lname)
    value = line; sub(/^[^"]*"/, "", value); sub(/"[[:space:]]*$/, "", value)
    print lname "\t" value
  }
' "$tfdir"/*.tf)

# resolve_locals TEXT: "${local.X}" inside strings and a bare `= local.X` become the value
resolve_locals() {
  local text=$1 lname
  for lname in "${!local_value[@]}"; do
    text=${text//"\${local.$lname}"/${local_value[$lname]}}
  done
  printf '%s\n' "$text" | sed -E "$(for lname in "${!local_value[@]}"; do
    printf 's|=([[:space:]]*)local\\.%s[[:space:]]*$|=\\1"%s"|;' "$lname" "${local_value[$lname]}"
  done)"
}

resolve_locals "$(cat "$tfdir"/*.tf)" > "$corpus"

# modules: ${var.name} inside ./modules/X is the `name = local.Y` its caller passes
while IFS=$'\t' read -r msource mname; do
  [ -d "$tfdir/$msource" ] || continue
  value=""
  if [ -n "$mname" ]; then
    value=${local_value[$mname]:-}
  fi
  text=$(cat "$tfdir/$msource"/*.tf)
  if [ -n "$value" ]; then
    text=${text//"\${var.name}"/$value}
    text=$(printf '%s\n' "$text" | sed -E "s|=([[:space:]]*)var\\.name[[:space:]]*$|=\\1\"$value\"|")
  fi
  printf '%s\n' "$text" >> "$corpus"
done < <(awk '
  /^module "/ { inmod = 1; src = ""; nm = ""; next }
  inmod && /^[[:space:]]*source[[:space:]]*=/ { gsub(/.*= *"|"$/, ""); sub(/^\.\//, ""); src = $0 }
  inmod && /^[[:space:]]*name[[:space:]]*=[[:space:]]*local\./ { sub(/.*local\./, ""); nm = $0 }
  inmod && /^}/ { if (src != "") print src "\t" nm; inmod = 0 }
' "$tfdir"/*.tf)

in_terraform() { grep -qF -- "$1" "$corpus"; }

# resource_names TYPE: the name = "..." of every resource "TYPE" block (resolved)
resource_names() {
  awk -v type="$1" '
    $0 ~ "^resource \"" type "\"" { inres = 1; next }
    inres && /^}/ { inres = 0 }
    inres && /^  name[[:space:]]*=[[:space:]]*"/ {
      value = $0; sub(/^[^"]*"/, "", value); sub(/"[[:space:]]*$/, "", value); print value
    }
  ' "$corpus"
}
# is_resource_name TYPE NAME: NAME (normalized) is the name of a TYPE resource
is_resource_name() { resource_names "$1" | grep -qxF -- "$2"; }

# --- terraform output NAME -----------------------------------------------------------------
declared_outputs=$(sed -nE 's/^output "([a-z0-9_]+)".*/\1/p' "$tfdir"/*.tf | sort -u)
n=0
while read -r name; do
  [ -n "$name" ] || continue
  n=$((n + 1))
  if grep -qx -- "$name" <<< "$declared_outputs"; then
    pass "output $name"
  else
    fail "docs use 'terraform output $name' but terraform/*.tf declares no output \"$name\""
  fi
done < <(doc_tokens 'terraform( -chdir=[^ ]+)? output( -(raw|json|no-color))* [a-z0-9_]+' | awk '{print $NF}' | sort -u)
[ "$n" -gt 0 ] || fail "no 'terraform output NAME' found in the docs (expected at least alb_url)"

# --- secrets -----------------------------------------------------------------------------------
n=0
while read -r token; do
  [ -n "$token" ] || continue
  n=$((n + 1))
  want=$(normalize_env "$token")
  if is_resource_name aws_secretsmanager_secret "$want"; then
    pass "secret $token"
  else
    fail "secret '$token' in the docs: terraform has no secret named \"$want\""
  fi
done < <(doc_tokens "${ENV_RE}/orchestrator/[a-z0-9_]+")
[ "$n" -gt 0 ] || fail "no {env}/orchestrator/... secret name found in the docs"

while read -r token; do
  [ -n "$token" ] || continue
  want=$(normalize_env "$token")
  if is_resource_name aws_secretsmanager_secret "$want"; then
    pass "MSK secret $token"
  else
    fail "MSK secret '$token' in the docs: terraform has no secret named \"$want\""
  fi
done < <(doc_tokens "AmazonMSK_${ENV_RE}[A-Za-z0-9_-]*")

# --- log group --------------------------------------------------------------------------------
n=0
while read -r token; do
  [ -n "$token" ] || continue
  n=$((n + 1))
  want=$(normalize_env "$token")
  if is_resource_name aws_cloudwatch_log_group "$want"; then
    pass "log group $token"
  else
    fail "log group '$token' in the docs: terraform has no log group \"$want\""
  fi
done < <(doc_tokens "/ecs/contact-center-orchestrator-${ENV_RE}")
[ "$n" -gt 0 ] || fail "no /ecs/contact-center-orchestrator-{env} log group found in the docs"

# --- IAM roles and policies, services, task definition families, alarms, cluster ---------------
# A name may hold placeholders ({service}, {id}, <revision>): they match any text there.
name_regex() {
  local want
  want=$(normalize_env "$1" | sed -E 's/\{[a-z_]+\}|<[a-z_]+>/@ANY@/g')
  printf '"%s"' "$want" | sed -e 's/[]\/$*.^|+?(){}[]/\\&/g' -e 's/@ANY@/[^"]+/g'
}
roles=0
while read -r token; do
  [ -n "$token" ] || continue
  case $token in
    *-role)
      roles=$((roles + 1))
      if is_resource_name aws_iam_role "$(normalize_env "$token")"; then
        pass "IAM role $token"
      else
        fail "IAM role '$token' in the docs: terraform has no aws_iam_role named \"$(normalize_env "$token")\""
      fi
      continue
      ;;
    *-policy)
      if is_resource_name aws_iam_role_policy "$(normalize_env "$token")"; then
        pass "IAM policy $token"
      else
        fail "IAM policy '$token' in the docs: terraform has no aws_iam_role_policy named \"$(normalize_env "$token")\""
      fi
      continue
      ;;
  esac
  if grep -qE -- "$(name_regex "$token")" "$corpus"; then
    pass "name $token"
  else
    fail "name '$token' in the docs (role, policy, service, task family or alarm): terraform builds no such name ($(normalize_env "$token"))"
  fi
done < <(doc_tokens "(^|[^A-Za-z0-9_-])${ENV_RE}-orchestrator(-([a-z0-9]+|\{[a-z_]+\}|<[a-z_]+>))*" | sed -E 's/^[^A-Za-z0-9{<$]//' | sort -u)
[ "$roles" -gt 0 ] || fail "no IAM role name ({env}-orchestrator-...-role) found in the docs"

while read -r token; do
  [ -n "$token" ] || continue
  want=$(normalize_env "$token")
  if in_terraform "\"$want\""; then
    pass "cluster $token"
  else
    fail "'$token' in the docs: terraform builds no name \"$want\""
  fi
done < <(doc_tokens "(^|[ =\"'])contact-center-orchestrator-${ENV_RE}" | sed -E "s/^[ =\"']//" | sort -u)

# --- variables and variable files ------------------------------------------------------------
declared_vars=$(sed -nE 's/^variable "([a-z0-9_]+)".*/\1/p' "$tfdir"/*.tf | sort -u)
while read -r name; do
  [ -n "$name" ] || continue
  if grep -qx -- "$name" <<< "$declared_vars"; then
    pass "variable $name"
  else
    fail "docs set variable '$name' (-var / TF_VAR_) but terraform/*.tf declares no variable \"$name\""
  fi
done < <({
  doc_tokens "-var[ =][\"']?[a-z0-9_]+=" | sed -E "s/^-var[ =][\"']?//; s/=\$//"
  doc_tokens 'TF_VAR_[a-z0-9_]+' | sed 's/^TF_VAR_//'
} | sort -u)

while read -r file; do
  [ -n "$file" ] || continue
  case $file in *'{env}'* | *'<env>'* | *'$'*) continue ;; esac
  if [ -f "$tfdir/$file" ]; then
    pass "var file $file"
  else
    fail "docs use -var-file=$file but $tfdir/$file does not exist"
  fi
done < <(doc_tokens 'environments/[A-Za-z0-9_.{}<>$-]+\.tfvars')

if [ "$failures" -ne 0 ]; then
  echo "check_docs_match_terraform: $failures mismatches between docs/ and terraform/ ($checks names matched)"
  exit 1
fi
echo "check_docs_match_terraform: all $checks names in docs/deployment.md and docs/runbook.md exist in terraform/"
