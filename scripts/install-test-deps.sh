#!/usr/bin/env bash
# Installs everything the test suite needs; idempotent and quick when all is in place.
# Usage: scripts/install-test-deps.sh   (scripts/test runs it; CI runs it as root, CI=true, no stdin)
#
#   Debian:  postgresql-15 (server + contrib), locales en_US.UTF-8 + ko_KR.UTF-8, prometheus (promtool),
#            chromium (Mermaid rendering). No service is started or left enabled by the install.
#   Python:  scripts/test-requirements.txt in ${GEN_TEST_VENV:-target/test-venv}
#   shared/: the bicep-typecheck launcher's own venv (warmed on its valid fixtures)
#   npm:     tests/browser (mermaid, playwright-core; no Playwright browser download)
#
# Environment: GEN_TEST_VENV (venv path), GEN_TEST_PYTHON (interpreter for it, default python3),
# GEN_SHARED_DIR (default: ../shared beside the repository).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${GEN_TEST_VENV:-$REPO/target/test-venv}"
PYTHON="${GEN_TEST_PYTHON:-python3}"
SHARED="${GEN_SHARED_DIR:-$REPO/../shared}"
LOGDIR="$REPO/target/install-test-deps"
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
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n env DEBIAN_FRONTEND=noninteractive "$@"
  else
    die "not root and no sudo: cannot run $*"
  fi
}

mkdir -p "$LOGDIR"
# One run at a time (two test commands started together would race on the venv and node_modules).
exec 9>"$LOGDIR/lock"
flock 9
started=$SECONDS

# --- Debian packages -------------------------------------------------------------------------------
APT_PACKAGES=(postgresql-15 postgresql-client-15 locales prometheus chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" != installed ]; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "apt: installing ${missing[*]}"
  t=$SECONDS
  # policy-rc.d keeps maintainer scripts from starting daemons (prometheus, the postgresql cluster).
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  logged apt-update as_root apt-get update
  logged apt-install as_root apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
  # Nothing we just installed may run now or at boot.
  for svc in prometheus postgresql; do
    case " ${missing[*]} " in *" $svc "* | *" $svc-15 "*) ;; *) continue ;; esac
    if [ -d /run/systemd/system ]; then
      as_root systemctl disable --now "$svc.service" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$svc" ]; then
      as_root "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
      as_root update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  done
  say "apt: done in $((SECONDS - t))s"
fi
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/postgres" ] || die "$PGBIN/postgres is missing"
for ext in pg_stat_statements uuid-ossp; do
  [ -f "/usr/share/postgresql/15/extension/$ext.control" ] || die "PostgreSQL extension $ext is missing"
done
command -v promtool >/dev/null || die "promtool is missing (package prometheus)"
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing"
say "apt: ok (PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }') + pg_stat_statements, uuid-ossp;" \
  "promtool $(promtool --version 2>&1 | awk 'NR == 1 { print $3 }'); $(/usr/bin/chromium --version 2>/dev/null | awk '{ print $1, $2 }'))"

# --- Locales ---------------------------------------------------------------------------------------
regen=0
for loc in en_US.UTF-8 ko_KR.UTF-8; do
  if locale -a 2>/dev/null | grep -qix "${loc%%.*}\.utf-\?8"; then
    continue
  fi
  regen=1
  re="${loc//./\\.}"
  if grep -qE "^# *$re UTF-8\$" /etc/locale.gen; then
    as_root sed -i -E "s/^# *($re UTF-8)\$/\\1/" /etc/locale.gen
  elif ! grep -qE "^$re UTF-8\$" /etc/locale.gen; then
    echo "$loc UTF-8" | as_root tee -a /etc/locale.gen >/dev/null
  fi
done
if [ "$regen" -eq 1 ]; then
  say "locales: generating en_US.UTF-8, ko_KR.UTF-8"
  logged locale-gen as_root locale-gen
fi
for loc in en_US ko_KR; do
  locale -a | grep -qix "$loc\.utf-\?8" || die "locale $loc.UTF-8 is still missing after locale-gen"
done
say "locales: ok (en_US.UTF-8, ko_KR.UTF-8)"

# --- Python venv -----------------------------------------------------------------------------------
REQ="$REPO/scripts/test-requirements.txt"
STAMP="$VENV/.gen-test-requirements.sha256"
if ! "$VENV/bin/python" -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1; then
  "$PYTHON" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || die "$PYTHON must be Python >= 3.11"
  say "venv: creating $VENV"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
want="$(cat "$REQ" | sha256sum | cut -d' ' -f1) $("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])')"
venv_bins=(kubernetes-validate checkov pre-commit)
have_bins=1
for bin in "${venv_bins[@]}"; do [ -x "$VENV/bin/$bin" ] || have_bins=0; done
# (No set -e inside a function run as an `if` condition: chain with &&.)
verify_venv() {
  local k c
  k="$("$VENV/bin/kubernetes-validate" --version)" && echo "kubernetes-validate $k" \
    && c="$("$VENV/bin/checkov" --version)" && echo "checkov $c" \
    && "$VENV/bin/python" -c 'import pycep, importlib.metadata as m; print("pycep-parser", m.version("pycep-parser"))' \
    && "$VENV/bin/pre-commit" --version
}
if [ "$have_bins" -eq 1 ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$want" ]; then
  say "venv: ok (requirements unchanged)"
else
  say "venv: pip install -r scripts/test-requirements.txt (checkov is big: ~30s)"
  t=$SECONDS
  rm -f "$STAMP"
  logged pip "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r "$REQ"
  logged verify-venv verify_venv
  echo "$want" >"$STAMP"
  say "venv: installed in $((SECONDS - t))s: $(paste -sd, "$LOGDIR/verify-venv.log" | sed 's/,/, /g')"
fi

# --- Shared bicep type checker (its launcher makes its own venv on first use) -----------------------
BICEP="$SHARED/tools/bicep-typecheck"
[ -x "$BICEP/bicep-typecheck" ] || die "$BICEP/bicep-typecheck is missing: shared/ must sit beside the repository"
logged bicep-typecheck "$BICEP/bicep-typecheck" "$BICEP/tests/fixtures/valid"
say "bicep-typecheck: ok ($(tail -n 1 "$LOGDIR/bicep-typecheck.log"))"

# --- npm packages for the browser tests -------------------------------------------------------------
BROWSER="$REPO/tests/browser"
command -v npm >/dev/null || die "npm is missing"
NPM_STAMP="$BROWSER/node_modules/.gen-install.sha256"
if [ -f "$BROWSER/package-lock.json" ]; then
  want="$(cat "$BROWSER/package.json" "$BROWSER/package-lock.json" | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$NPM_STAMP" 2>/dev/null)" = "$want" ] && [ -f "$BROWSER/node_modules/mermaid/dist/mermaid.min.js" ]; then
    say "npm: ok (tests/browser unchanged)"
  else
    say "npm: npm ci in tests/browser"
    (cd "$BROWSER" && logged npm npm ci --no-audit --no-fund)
    echo "$want" >"$NPM_STAMP"
  fi
else
  say "npm: npm install in tests/browser (creates package-lock.json: commit it)"
  (cd "$BROWSER" && logged npm npm install --no-audit --no-fund)
  want="$(cat "$BROWSER/package.json" "$BROWSER/package-lock.json" | sha256sum | cut -d' ' -f1)"
  echo "$want" >"$NPM_STAMP"
fi
[ -f "$BROWSER/node_modules/mermaid/dist/mermaid.min.js" ] || die "mermaid.min.js is missing in tests/browser/node_modules"
(cd "$BROWSER" && node -e 'require("playwright-core")') || die "playwright-core does not load"
say "npm: mermaid $(cd "$BROWSER" && node -p 'require("./node_modules/mermaid/package.json").version')," \
  "playwright-core $(cd "$BROWSER" && node -p 'require("./node_modules/playwright-core/package.json").version')"

say "all test dependencies present ($((SECONDS - started))s)"
