#!/bin/sh
# azd postprovision hook. azd passes its environment (parameters set with `azd env set` and main.bicep's
# outputs) as environment variables.
# 1. Under a management group, assign the bot's target roles there: main.bicep is a subscription deployment
#    and ARM cannot deploy from a subscription to a management group. Needs the Azure CLI signed in (az login)
#    as someone who may assign roles at that management group (Owner, User Access Administrator or RBAC Administrator).
# 2. Say what is left to do.
set -eu

if [ -n "${IDWARDEN_TARGET_MANAGEMENT_GROUP:-}" ]; then
  echo "Assigning the bot's roles at management group ${IDWARDEN_TARGET_MANAGEMENT_GROUP} (infra/management-group.bicep)..."
  az deployment mg create \
    --name "idwarden-bot-roles-${AZURE_ENV_NAME}" \
    --location "${AZURE_LOCATION}" \
    --management-group-id "${IDWARDEN_TARGET_MANAGEMENT_GROUP}" \
    --template-file "$(dirname "$0")/../management-group.bicep" \
    --parameters \
      botPrincipalId="${IDWARDEN_BOT_PRINCIPAL_ID}" \
      enableRemediation="${IDWARDEN_ENABLE_REMEDIATION:-false}" \
      enableIdentityDeletion="${IDWARDEN_ENABLE_IDENTITY_DELETION:-false}" \
    --output none
fi

if [ "${IDWARDEN_GRANT_GRAPH_PERMISSIONS:-true}" = "false" ]; then
  echo "Microsoft Graph permissions were not granted by the deployment. As a Privileged Role Administrator, run:"
  echo "  infra/scripts/grant-graph-permissions.sh ${IDWARDEN_BOT_PRINCIPAL_ID}"
fi
