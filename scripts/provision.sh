#!/usr/bin/env bash
# Installs the Debian packages this project uses when they are missing.
#   scripts/provision.sh [--optional] PACKAGE...
# A package counts as present when its main command is on PATH (PostgreSQL: in Debian's layout). Without --optional a package that
# cannot be installed is an error; with it, a warning (the server runs without them, with less).
set -u
optional=false
if [ "${1:-}" = "--optional" ]; then optional=true; shift; fi

present() {
  case "$1" in
    # Debian keeps the server's binaries off PATH, one directory per major version.
    postgresql) compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || command -v initdb >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing=()
for package in "$@"; do
  present "$package" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "provision: installing ${missing[*]} with apt-get (first run only)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    exit 0
  fi
fi

echo "provision: could not install ${missing[*]}; install it with your package manager (e.g. sudo apt-get install ${missing[*]})" >&2
$optional && exit 0
exit 1
