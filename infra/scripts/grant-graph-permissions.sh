#!/bin/sh
# Grants the bot's Microsoft Graph application permissions listed in infra/data/bot-permissions.json
# (graphAppRoles) with the Azure CLI: the alternative to the Microsoft Graph Bicep extension, for deployments
# made with IDWARDEN_GRANT_GRAPH_PERMISSIONS=false. Run it signed in (az login) as a Privileged Role
# Administrator or Global Administrator. Safe to run again: a permission already granted is skipped.
#
#   infra/scripts/grant-graph-permissions.sh <bot principal object id>     (azd output IDWARDEN_BOT_PRINCIPAL_ID)
#
# The same deployment parameters as main.bicep turn on the conditional permissions:
#   IDWARDEN_ENABLE_EMAIL=true                        Mail.Send
#   IDWARDEN_ENABLE_GRAPH_APP_ROLE_REMEDIATION=true   AppRoleAssignment.ReadWrite.All
# Needs: az, jq.
set -eu

principal_id="${1:?usage: grant-graph-permissions.sh <bot principal object id>}"
data="$(dirname "$0")/../data/bot-permissions.json"
graph='https://graph.microsoft.com/v1.0'
microsoft_graph_app_id='00000003-0000-0000-c000-000000000000'

# Which grants are on: 'always', or the deployment parameter a grant names in the file (enabledBy).
flags=$(jq -n \
  --arg enableRemediation "${IDWARDEN_ENABLE_REMEDIATION:-false}" \
  --arg enableIdentityDeletion "${IDWARDEN_ENABLE_IDENTITY_DELETION:-false}" \
  --arg enableEmail "${IDWARDEN_ENABLE_EMAIL:-false}" \
  --arg enableGraphAppRoleRemediation "${IDWARDEN_ENABLE_GRAPH_APP_ROLE_REMEDIATION:-false}" \
  '{always: true} + ($ARGS.named | map_values(. == "true"))')

graph_sp_id=$(az rest --method GET --url "$graph/servicePrincipals(appId='$microsoft_graph_app_id')?\$select=id" | jq -r '.id')
granted=$(az rest --method GET --url "$graph/servicePrincipals/$principal_id/appRoleAssignments" |
  jq -c --arg graph "$graph_sp_id" '[.value[] | select(.resourceId == $graph) | .appRoleId | ascii_downcase]')

jq -r --argjson flags "$flags" '.graphAppRoles[] | select($flags[.enabledBy]) | "\(.id | ascii_downcase) \(.value)"' "$data" |
  while read -r app_role_id value; do
    if printf '%s' "$granted" | jq -e --arg id "$app_role_id" 'any(.[]; . == $id)' >/dev/null; then
      echo "already granted: $value"
    else
      body=$(jq -nc --arg principalId "$principal_id" --arg resourceId "$graph_sp_id" --arg appRoleId "$app_role_id" \
        '{principalId: $principalId, resourceId: $resourceId, appRoleId: $appRoleId}')
      az rest --method POST --url "$graph/servicePrincipals/$principal_id/appRoleAssignments" \
        --headers 'Content-Type=application/json' --body "$body" >/dev/null
      echo "granted: $value"
    fi
  done
