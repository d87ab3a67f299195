#!/usr/bin/env bash
# Install the Debian packages Opora and its test suite need (PostgreSQL, Chromium,
# gettext, fonts with Cyrillic, Dovecot IMAP, and Pango + HarfBuzz for WeasyPrint's
# PDF reports). Idempotent and quick when everything is present.
set -euo pipefail

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || need+=(dovecot-imapd)
# WeasyPrint (PDF reports) loads these shared libraries at import.
libs=$(/sbin/ldconfig -p 2>/dev/null || true)
grep -q 'libpango-1\.0\.so\.0 ' <<<"$libs" || need+=(libpango-1.0-0)
grep -q 'libpangoft2-1\.0\.so\.0 ' <<<"$libs" || need+=(libpangoft2-1.0-0)
grep -q 'libharfbuzz-subset\.so\.0 ' <<<"$libs" || need+=(libharfbuzz-subset0)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "Missing system packages: ${need[*]}. Install them with: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
if [[ " ${need[*]} " == *" dovecot-imapd "* ]] && [ -d /run/systemd/system ]; then
  # The tests start a private Dovecot (scripts/imap-test-server.sh); the system
  # service the package just started would only be an IMAP server on port 143.
  systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
fi
