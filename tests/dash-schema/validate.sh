#!/usr/bin/env bash
# validate.sh -- checks DASH manifests against the official MPD XML schema
# (ISO/IEC 23009-1, MPEGGroup/DASHSchema; see README.md beside this file).
#
#   tests/dash-schema/validate.sh FILE.mpd [MORE.mpd ...]
#
# Runs `xmllint --noout --schema DASH-MPD.xsd FILE.mpd` with the schema copies
# in this folder (their imports point at local files, and --nonet forbids any
# network look-up, so it works offline). Installs Debian's libxml2-utils with
# apt-get when xmllint is missing (needs root). Exit 0 when every file is
# valid; non-zero on any schema error, unreadable file or schema load failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: $0 FILE.mpd [MORE.mpd ...]" >&2
  exit 2
fi

if ! command -v xmllint >/dev/null 2>&1; then
  echo "installing libxml2-utils (apt-get) for xmllint..." >&2
  apt-get install -y libxml2-utils >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y libxml2-utils >/dev/null; }
fi

status=0
for mpd in "$@"; do
  # xmllint prints "FILE validates" or the errors and "FILE fails to validate";
  # its exit code is 0 only when the file is valid.
  if ! xmllint --nonet --noout --schema "$here/DASH-MPD.xsd" "$mpd"; then
    status=1
  fi
done
exit $status
