#!/bin/sh
# The official eclipse-mosquitto image's entrypoint: as root, give /mosquitto to the mosquitto user, then run
# the command. (Part of the stand-in image, deploy/test/stand-ins/mosquitto.)
set -e
if [ "$(id -u)" = '0' ]; then
  [ -d /mosquitto ] && chown -R mosquitto:mosquitto /mosquitto 2>/dev/null || true
fi
exec "$@"
