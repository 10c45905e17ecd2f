#!/usr/bin/env bash
# Make PostgreSQL+TimescaleDB and Mosquitto available for the integration tests, idempotently.
#
# - If TRACE_TEST_DATABASE_URL / TRACE_TEST_MQTT_URL are set, they are used as they are (only checked).
# - Otherwise, on Debian as root: install what is missing from Debian's packages, build TimescaleDB
#   from Debian's source package when no binary package exists for the installed PostgreSQL,
#   enable it, (re)start the cluster and create the test database.
# - Elsewhere: say exactly what to run instead, and fail.
set -euo pipefail

DB_URL="${TRACE_TEST_DATABASE_URL:-}"
MQTT_URL="${TRACE_TEST_MQTT_URL:-}"
TEST_DB="${TRACE_TEST_DB_NAME:-suyuan_test}"
say() { printf '[services] %s\n' "$*"; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }
instead() {
  die "$1
  Run the stack with Docker instead:   docker compose up -d db broker
  then:  export TRACE_TEST_DATABASE_URL=postgresql://suyuan:suyuan@127.0.0.1:5432/suyuan
         export TRACE_TEST_MQTT_URL=mqtt://127.0.0.1:1883
  and run make test again."
}

tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

is_debian=0; [[ -f /etc/debian_version ]] && is_debian=1
is_root=0; [[ "$(id -u)" == 0 ]] && is_root=1

apt_updated=0
apt_install() {
  if [[ $apt_updated == 0 ]]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# ---------------------------------------------------------------- Chromium (tests/e2e)
# Debian's headless Chromium for the browser tests (playwright drives it by executable_path and
# never downloads a browser), and a CJK font so Chinese pages render in the screenshots.
browser_pkgs=()
if [[ -z "${TRACE_TEST_CHROMIUM:-}" ]] && ! command -v chromium >/dev/null 2>&1; then
  browser_pkgs+=(chromium)
fi
[[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]] || browser_pkgs+=(fonts-wqy-microhei)
if [[ ${#browser_pkgs[@]} -gt 0 ]]; then
  if [[ $is_debian == 1 && $is_root == 1 ]]; then
    say "installing ${browser_pkgs[*]} from Debian's packages (browser tests)"
    apt_install "${browser_pkgs[@]}"
  else
    say "WARNING: ${browser_pkgs[*]} missing; the e2e tests need Chromium (or TRACE_TEST_CHROMIUM)"
  fi
fi

if [[ -n "$DB_URL" && -n "$MQTT_URL" ]]; then
  say "using TRACE_TEST_DATABASE_URL and TRACE_TEST_MQTT_URL as given"
  exit 0
fi


# ---------------------------------------------------------------- PostgreSQL
if [[ -z "$DB_URL" ]]; then
  if ! command -v pg_lsclusters >/dev/null 2>&1; then
    [[ $is_debian == 1 && $is_root == 1 ]] || instead "PostgreSQL is not installed and this is not Debian as root."
    say "installing PostgreSQL from Debian's packages"
    apt_install postgresql
  fi
  PGVER="$(pg_lsclusters -h | awk 'NR==1{print $1}')"
  PGCLUSTER="$(pg_lsclusters -h | awk 'NR==1{print $2}')"
  [[ -n "$PGVER" ]] || instead "no PostgreSQL cluster found (pg_lsclusters)."
  EXTDIR="/usr/share/postgresql/$PGVER/extension"
  CONF="/etc/postgresql/$PGVER/$PGCLUSTER/postgresql.conf"
  if [[ ! -f "$EXTDIR/timescaledb.control" ]]; then
    [[ $is_debian == 1 && $is_root == 1 ]] || instead "TimescaleDB is not installed for PostgreSQL $PGVER."
    if apt-cache show "postgresql-$PGVER-timescaledb" >/dev/null 2>&1; then
      say "installing postgresql-$PGVER-timescaledb"
      apt_install "postgresql-$PGVER-timescaledb"
    else
      say "building TimescaleDB (Apache-2 edition) from Debian's source package for PostgreSQL $PGVER"
      apt_install "postgresql-server-dev-$PGVER" cmake dpkg-dev build-essential libssl-dev
      SRCLIST=/etc/apt/sources.list.d/suyuan-trixie-src.list
      if [[ ! -f $SRCLIST ]]; then
        echo "deb-src http://deb.debian.org/debian trixie main" > "$SRCLIST"
        apt-get update -qq >/dev/null
      fi
      BUILD="$(mktemp -d)"
      chmod 755 "$BUILD"
      ( cd "$BUILD" && apt-get source --download-only -qq timescaledb >/dev/null 2>&1 )
      ORIG="$(ls "$BUILD"/timescaledb_*.orig.tar.* | head -n1)"
      mkdir -p "$BUILD/src" && tar -xf "$ORIG" -C "$BUILD/src" --strip-components=1
      ( cd "$BUILD/src" \
        && PATH="/usr/lib/postgresql/$PGVER/bin:$PATH" ./bootstrap -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF \
             -DWARNINGS_AS_ERRORS=OFF -DAPACHE_ONLY=ON -DPG_CONFIG="/usr/lib/postgresql/$PGVER/bin/pg_config" >/dev/null 2>&1 \
        && make -s -C build -j"$(nproc)" install >/dev/null )
      rm -rf "$BUILD"
    fi
  fi
  restart=0
  if ! grep -Eq "^[[:space:]]*shared_preload_libraries[[:space:]]*=.*timescaledb" "$CONF"; then
    [[ $is_root == 1 ]] || instead "timescaledb is not in shared_preload_libraries of $CONF."
    say "enabling timescaledb in shared_preload_libraries"
    echo "shared_preload_libraries = 'timescaledb'" >> "$CONF"
    echo "timescaledb.telemetry_level = off" >> "$CONF"
    restart=1
  fi
  # write-path settings for the ledger's big append transactions (same values as docker-compose.yml):
  # a checkpoint every 1 GB of WAL re-logs every page it touches next (full-page writes), and the
  # default 128 MB of shared buffers cannot hold the random-keyed indexes of a million-event log;
  # a WAL writer that wakes every 10 ms (not 200) has flushed most of a batch's WAL by its commit
  # (bench harness at 100k leaves: COMMIT 2.6-2.7 -> 1.1-1.5 us per appended event); and a
  # background writer that keeps clean buffers ready, so that the appending backend does not
  # write out dirty pages itself (bench.ledger at 1M leaves: 17.9k -> 18.6-18.7k appends/s)
  TUNING="$(dirname "$CONF")/conf.d/50-suyuan.conf"
  WANT="# written by suyuan .ci/services.sh
shared_buffers = 1GB
max_wal_size = 8GB
min_wal_size = 1GB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
wal_compression = lz4
wal_writer_delay = 10ms
bgwriter_delay = 10ms
bgwriter_lru_maxpages = 1000
bgwriter_lru_multiplier = 4"
  if [[ -d "$(dirname "$TUNING")" && $is_root == 1 && "$(cat "$TUNING" 2>/dev/null)" != "$WANT" ]]; then
    say "writing PostgreSQL write-path settings to $TUNING"
    printf '%s\n' "$WANT" > "$TUNING"
    restart=1
  fi
  if [[ $restart == 1 ]]; then
    pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$PGCLUSTER" restart
  elif ! pg_lsclusters -h | awk 'NR==1{print $4}' | grep -q online; then
    pg_ctlcluster --skip-systemctl-redirect "$PGVER" "$PGCLUSTER" start
  fi
  for _ in $(seq 1 50); do tcp_open 127.0.0.1 5432 && break; sleep 0.2; done
  export PGOPTIONS="-c client_min_messages=warning"
  PSQL=(psql -h 127.0.0.1 -U postgres -v ON_ERROR_STOP=1 -qAt)
  "${PSQL[@]}" -d postgres -c "select 1" >/dev/null || instead "cannot connect to PostgreSQL at 127.0.0.1:5432 as postgres (trust auth expected)."
  if [[ "$("${PSQL[@]}" -d postgres -c "select 1 from pg_database where datname='$TEST_DB'")" != 1 ]]; then
    say "creating database $TEST_DB"
    "${PSQL[@]}" -d postgres -c "create database $TEST_DB"
  fi
  "${PSQL[@]}" -d "$TEST_DB" -c "create extension if not exists timescaledb" >/dev/null
  say "PostgreSQL $PGVER with TimescaleDB $("${PSQL[@]}" -d "$TEST_DB" -c "select extversion from pg_extension where extname='timescaledb'") ready: postgresql://postgres@127.0.0.1:5432/$TEST_DB"
fi

# ---------------------------------------------------------------- Mosquitto
if [[ -z "$MQTT_URL" ]]; then
  if ! command -v mosquitto >/dev/null 2>&1; then
    [[ $is_debian == 1 && $is_root == 1 ]] || instead "Mosquitto is not installed and this is not Debian as root."
    say "installing Mosquitto from Debian's packages"
    apt_install mosquitto mosquitto-clients
  fi
  # delivery settings (the same list as gateway/mosquitto/mosquitto.conf; a unit test keeps them
  # equal): Mosquitto's default of 1,000 queued messages per client drops a store-and-forward
  # burst on the floor after PUBACKing it to the device ("Outgoing messages are being dropped");
  # persistence keeps the gateways' persistent sessions across a broker restart
  MOSQ_DIR="${SUYUAN_MOSQUITTO_DIR:-/etc/mosquitto}"
  MOSQ_CONF="$MOSQ_DIR/mosquitto.conf"
  MOSQ_TUNING="$MOSQ_DIR/conf.d/50-suyuan.conf"
  MOSQ_WANT="# written by suyuan .ci/services.sh (mosquitto)
persistence true
autosave_interval 30
max_inflight_messages 1000
max_queued_messages 1000000
max_queued_bytes 0
set_tcp_nodelay true"
  mosq_changed=0
  if [[ -f "$MOSQ_CONF" && $is_root == 1 ]]; then
    if ! grep -Eq "^[[:space:]]*persistence_location[[:space:]]" "$MOSQ_CONF"; then
      mkdir -p /var/lib/mosquitto && chown mosquitto: /var/lib/mosquitto 2>/dev/null || true
      echo "persistence_location /var/lib/mosquitto/" >> "$MOSQ_CONF"; mosq_changed=1
    fi
    if ! grep -Eq "^[[:space:]]*include_dir[[:space:]]+$MOSQ_DIR/conf.d[[:space:]]*$" "$MOSQ_CONF"; then
      echo "include_dir $MOSQ_DIR/conf.d" >> "$MOSQ_CONF"; mosq_changed=1
    fi
    mkdir -p "$MOSQ_DIR/conf.d"
    if [[ "$(cat "$MOSQ_TUNING" 2>/dev/null)" != "$MOSQ_WANT" ]]; then
      say "writing Mosquitto delivery settings to $MOSQ_TUNING"
      printf '%s\n' "$MOSQ_WANT" > "$MOSQ_TUNING"; mosq_changed=1
    fi
  fi
  if [[ $mosq_changed == 1 ]] && tcp_open 127.0.0.1 1883; then
    # queue and in-flight limits are reloaded on SIGHUP (persistence itself needs a restart:
    # Debian's own configuration already has it on)
    MOSQ_PID="$(cat /run/mosquitto/mosquitto.pid 2>/dev/null || true)"
    if [[ -n "$MOSQ_PID" ]]; then say "reloading Mosquitto ($MOSQ_PID)"; kill -HUP "$MOSQ_PID"; fi
  fi
  if ! tcp_open 127.0.0.1 1883; then
    [[ $is_root == 1 ]] || instead "Mosquitto is not listening on 127.0.0.1:1883."
    say "starting Mosquitto"
    mosquitto -d -c /etc/mosquitto/mosquitto.conf
    for _ in $(seq 1 50); do tcp_open 127.0.0.1 1883 && break; sleep 0.2; done
  fi
  tcp_open 127.0.0.1 1883 || instead "Mosquitto is not listening on 127.0.0.1:1883."
  say "Mosquitto ready: mqtt://127.0.0.1:1883"
fi
