#!/usr/bin/env bash
# A throwaway Dovecot IMAP server on 127.0.0.1 for the test suite and manual testing.
#   scripts/imap-test-server.sh start   -> prints imap://127.0.0.1:PORT and the users
#   scripts/imap-test-server.sh stop
#   scripts/imap-test-server.sh run     -> the same server in the foreground (tests/mailservers.py)
# Users, all with the password "password": support@opora.test, second@opora.test,
# third@opora.test, and support@opora.demo for the demo company. Mail lives in maildirs under $OPORA_IMAP_DIR/mail/<address>.
# A private instance: its own config, base_dir and port, so a system Dovecot (if
# any) is neither needed nor disturbed.
set -euo pipefail

PORT=${OPORA_IMAP_PORT:-14329}
DIR=${OPORA_IMAP_DIR:-/tmp/opora-imap-$PORT}
CONF=$DIR/dovecot.conf
USERS=(support@opora.test second@opora.test third@opora.test support@opora.demo)
PASSWORD=password

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  echo "Dovecot is not installed: run scripts/system-deps.sh (Debian package dovecot-imapd)" >&2
  exit 1
fi
DOVECOT=$(command -v dovecot || echo /usr/sbin/dovecot)

configure() {
  mkdir -p "$DIR/run" "$DIR/state" "$DIR/mail"
  if [ "$(id -u)" = 0 ]; then
    # Dovecot refuses mail access as root and its own users should not own mail:
    # the maildirs belong to nobody. The directory must be traversable for it.
    internal=dovecot group=dovecot login=dovenull mail_user=nobody
    chroot_off=""
    chmod 0755 "$DIR"
    chown nobody:"$(id -gn nobody)" "$DIR/mail"
  else
    # Rootless: every Dovecot process runs as the current user, without chroot.
    internal=$(id -un) group=$(id -gn) login=$(id -un) mail_user=$(id -un)
    chroot_off="service anvil {
  chroot =
}
service imap-login {
  chroot =
}"
  fi
  uid=$(id -u "$mail_user")
  gid=$(id -g "$mail_user")

  : >"$DIR/users.new"
  for user in "${USERS[@]}"; do
    echo "$user:{PLAIN}$PASSWORD:$uid:$gid::$DIR/mail/$user::" >>"$DIR/users.new"
  done
  chmod 0644 "$DIR/users.new"
  mv "$DIR/users.new" "$DIR/users"

  cat >"$CONF" <<EOF
# Written by scripts/imap-test-server.sh on every start; edits are lost.
instance_name = opora-imap-$PORT
base_dir = $DIR/run
state_dir = $DIR/state
log_path = $DIR/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = $internal
default_internal_group = $group
default_login_user = $login
first_valid_uid = 1
mail_location = maildir:~/Maildir
# Tests open many short connections; durability does not matter.
mail_max_userip_connections = 200
mail_fsync = never
# Answer a wrong password without the usual 2 s delay (0.5 s remain: Dovecot's
# timer granularity).
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DIR/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DIR/users
}
# No penalty for repeated failures from one IP (up to 15 s each): every test
# connects from 127.0.0.1. The auth process finds no socket and skips it.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
$chroot_off
EOF
}

alive() {
  # A zombie is as good as gone: some container init processes reap late.
  [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

case "${1:-}" in
  start)
    if [ ! -s "$DIR/run/master.pid" ] || ! alive "$(cat "$DIR/run/master.pid")"; then
      configure
      "$DOVECOT" -c "$CONF"
    fi
    for _ in $(seq 100); do
      listening && break
      sleep 0.05
    done
    listening || { echo "Dovecot did not start, see $DIR/dovecot.log" >&2; exit 1; }
    echo "imap://127.0.0.1:$PORT"
    for user in "${USERS[@]}"; do echo "  $user / $PASSWORD"; done
    ;;
  run)
    configure
    exec "$DOVECOT" -F -c "$CONF"
    ;;
  stop)
    # Signal the whole process group (the master leads it): signalled alone, the
    # master waits a second or two for its log process.
    if [ -s "$DIR/run/master.pid" ] && pid=$(cat "$DIR/run/master.pid") && alive "$pid"; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 100); do
        alive "$pid" || break
        sleep 0.05
      done
    fi
    ;;
  *)
    echo "usage: $0 start|stop|run" >&2
    exit 2
    ;;
esac
