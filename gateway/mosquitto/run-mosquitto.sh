#!/bin/sh
# Mosquitto for docker-compose: start it, and send it SIGHUP (reload the password and ACL files)
# whenever the generated passwd changes, which `tracectl broker config --every` (the
# broker-sync service) rewrites when a device is enrolled or revoked in the registry.
set -u
CONF="${MOSQUITTO_CONF:-/mosquitto/config/mosquitto.conf}"
PASSWD="${MOSQUITTO_PASSWD:-/mosquitto/config/generated/passwd}"
INTERVAL="${RELOAD_INTERVAL:-2}"
MOSQUITTO="${MOSQUITTO_BIN:-mosquitto}"

waited=0
while [ ! -s "$PASSWD" ]; do  # broker-sync writes it first
    if [ "$waited" -ge 120 ]; then
        echo "run-mosquitto: no $PASSWD after 120 s (is broker-sync running?)" >&2
        exit 1
    fi
    sleep 1
    waited=$((waited + 1))
done

"$MOSQUITTO" -c "$CONF" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
last="$(cksum < "$PASSWD")"
while kill -0 "$pid" 2>/dev/null; do
    sleep "$INTERVAL" &
    wait $! 2>/dev/null
    now="$(cksum < "$PASSWD" 2>/dev/null || echo missing)"
    if [ "$now" != "$last" ] && [ "$now" != missing ]; then
        echo "run-mosquitto: $PASSWD changed; reloading" >&2
        kill -HUP "$pid" 2>/dev/null
        last="$now"
    fi
done
wait "$pid"
