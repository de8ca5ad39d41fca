# shellcheck shell=bash
# Helpers shared by plan-stacks.sh and apply-stacks.sh (sourced).

# Whether the stack in <dir> declares the variable image_tag (its cdk.tf.json).
declares_image_tag() {
  jq -e '.variable.image_tag' "$1/cdk.tf.json" >/dev/null 2>&1
}

# The -var arguments a stack needs: image_tag for every stack that declares it (read from its cdk.tf.json, so no
# layer name is hard-coded here).
stack_vars() {
  local dir=$1
  if declares_image_tag "$dir"; then
    # Fail loudly: called in a command substitution, where ${VAR:?} alone would only end the subshell.
    [ -n "${IMAGE_TAG:-}" ] || { echo "Error: IMAGE_TAG is required: $dir declares the variable image_tag" >&2; return 1; }
    printf '%s\n' -var "image_tag=${IMAGE_TAG}"
  fi
}

# The error part of a Terraform/OpenTofu log: from the first "Error:" line on, at most 40 lines / 2000 characters.
error_excerpt() {
  local log=$1
  sed 's/\x1b\[[0-9;]*m//g' "$log" | awk 'found || /(^|│ )Error: /{found=1} found' | head -40 | cut -c1-300 | head -c 2000
}

# Fresh credentials for the next stack (docs/delivery.md → Long applies): a new OIDC token from the runner and a
# new session of AWS_ROLE_ARN, so no stack starts with a session that may expire mid-apply. Without the runner's
# token endpoint (local runs), the credentials in the environment are kept.
refresh_credentials() {
  local label=$1 token creds
  [ -n "${AWS_ROLE_ARN:-}" ] && [ -n "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ] || return 0
  token=$(curl -fsS -H "Authorization: bearer ${ACTIONS_ID_TOKEN_REQUEST_TOKEN:?}" "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=sts.amazonaws.com" | jq -r .value)
  [ -n "$token" ] && [ "$token" != null ] || { echo "::error::no OIDC token from the runner" >&2; return 1; }
  echo "::add-mask::$token"
  creds=$(aws sts assume-role-with-web-identity --role-arn "$AWS_ROLE_ARN" --role-session-name "${AWS_ROLE_SESSION_PREFIX:-deploy}-${label}" \
    --web-identity-token "$token" --duration-seconds "${AWS_SESSION_SECONDS:?AWS_SESSION_SECONDS: the apply role session length (platform bootstrap --describe applySessionSeconds)}" --output json)
  AWS_ACCESS_KEY_ID=$(jq -r .Credentials.AccessKeyId <<<"$creds")
  AWS_SECRET_ACCESS_KEY=$(jq -r .Credentials.SecretAccessKey <<<"$creds")
  AWS_SESSION_TOKEN=$(jq -r .Credentials.SessionToken <<<"$creds")
  echo "::add-mask::$AWS_SECRET_ACCESS_KEY"
  echo "::add-mask::$AWS_SESSION_TOKEN"
  export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  echo "fresh credentials for ${label} (expire $(jq -r .Credentials.Expiration <<<"$creds"))"
}

# Keeps the errored.tfstate Terraform writes when it cannot save state after a failed apply (docs/delivery.md →
# Recovering a failed apply): encrypted to ERRORED_STATE_PUBLIC_KEY (PEM) into ERRORED_DIR for the artifact, or,
# without a key, copied into the state bucket beside the stack's state (the artifact is readable by everyone
# who can read the repository; the state holds secrets in clear).
keep_errored_state() {
  local stack=$1 dir=$2 file="$2/errored.tfstate" out key bucket
  [ -s "$file" ] || return 0
  out=${ERRORED_DIR:-errored-state}
  mkdir -p "$out"
  if [ -n "${ERRORED_STATE_PUBLIC_KEY:-}" ]; then
    key=$(openssl rand -hex 32)
    printf '%s' "$ERRORED_STATE_PUBLIC_KEY" >"$out/.pub.pem"
    printf '%s' "$key" | openssl pkeyutl -encrypt -pubin -inkey "$out/.pub.pem" -pkeyopt rsa_padding_mode:oaep -out "$out/${stack}.key.enc"
    openssl enc -aes-256-cbc -pbkdf2 -salt -pass "pass:$key" -in "$file" -out "$out/${stack}.errored.tfstate.enc"
    rm -f "$out/.pub.pem"
    echo "::error title=${stack}::apply failed and Terraform could not save its state: errored.tfstate kept encrypted in the errored-state artifact. Recover it before anything else runs (docs/delivery.md → Recovering a failed apply)."
  else
    bucket=$(jq -r '.terraform.backend.s3.bucket // empty' "$dir/cdk.tf.json")
    key=$(jq -r '.terraform.backend.s3.key // empty' "$dir/cdk.tf.json")
    if [ -n "$bucket" ] && [ -n "$key" ]; then
      aws s3 cp --only-show-errors "$file" "s3://${bucket}/${key}.errored-${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1}"
      echo "::error title=${stack}::apply failed and Terraform could not save its state: errored.tfstate copied to s3://${bucket}/${key}.errored-${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1} (docs/delivery.md → Recovering a failed apply)."
    else
      cp "$file" "$out/${stack}.errored.tfstate"
      echo "::error title=${stack}::apply failed: errored.tfstate kept in ${out}/${stack}.errored.tfstate"
    fi
  fi
  rm -f "$file"
}

# show_scrubbed <dir> <out.plan.json>: `show -json` of <dir>/tfplan, scrubbed into <out>. The raw JSON (sensitive
# values in clear) is written outside the plan directory that workflows upload, and removed whatever happens; on
# any failure <out> is removed too, so an artifact never holds an unscrubbed or half-written plan.
show_scrubbed() {
  local dir=$1 out=$2 raw
  raw=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/plan.XXXXXXXX")
  if "${tf:-terraform}" -chdir="$dir" show -json tfplan >"$raw" && node "$here/dist/scrub-plan.cjs" "$raw" "$out"; then
    rm -f "$raw"
  else
    rm -f "$raw" "$out"
    echo "::error::could not write the scrubbed plan $out (show -json or the scrubber failed; nothing unscrubbed kept)" >&2
    return 1
  fi
}
