#!/bin/sh
# azd postdeploy hook: once the code is deployed, the activityEvents function exists and Event Grid can be
# pointed at it (it refuses an event subscription to a function that does not exist yet).
set -eu

if [ "${IDWARDEN_EVENT_SUBSCRIPTIONS:-false}" != "true" ]; then
  echo "The activityEvents function is deployed. Connect the Event Grid subscriptions to it with:"
  echo "  azd env set IDWARDEN_EVENT_SUBSCRIPTIONS true && azd provision"
fi
