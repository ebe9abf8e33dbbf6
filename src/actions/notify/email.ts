import type { AzureClients } from '../../azure/clients.ts';
import { callAzure, type AzureApiError } from '../../azure/errors.ts';
import type { DeliveryAttempt } from './delivery.ts';
import type { AlertEmail } from './email-message.ts';

/**
 * Sending an alert email as the bot: Graph `POST /users/{from}/sendMail` through the bot's Graph client (managed
 * identity, application permission Mail.Send). Graph answers 202 Accepted when Exchange takes the message, which is
 * not delivery. The Graph client already retries 429, 503 and 504 honouring Retry-After, so only failures it does not
 * retry (no response at all, 500, 502) are left retryable here.
 */
export interface EmailRoute {
  /** The mailbox the bot sends as (user id or userPrincipalName). */
  from: string;
  to: readonly string[];
}

const RETRIED_HERE = new Set([500, 502]);

export async function sendAlertEmail(clients: Pick<AzureClients, 'graph'>, route: EmailRoute, email: AlertEmail): Promise<DeliveryAttempt> {
  const body = {
    message: {
      subject: email.subject,
      body: { contentType: 'HTML', content: email.html },
      toRecipients: route.to.map((address) => ({ emailAddress: { address } })),
    },
    saveToSentItems: false,
  };
  try {
    await callAzure({ service: 'graph', operation: 'users.sendMail', target: route.from }, async () => {
      const graph = await clients.graph();
      return graph.api(`/users/${encodeURIComponent(route.from)}/sendMail`).post(body);
    });
    return { ok: true, status: 202 };
  } catch (error) {
    const failed = error as AzureApiError;
    return {
      ok: false,
      status: failed.statusCode,
      code: failed.code,
      reason: failed.message,
      retryable: failed.statusCode === undefined || RETRIED_HERE.has(failed.statusCode),
      retryAfterMs: undefined,
    };
  }
}
