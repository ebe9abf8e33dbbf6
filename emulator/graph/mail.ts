import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { requireGraphPermission } from '../authz/require.ts';
import { EmulatorHttpError, NotImplementedByEmulator } from '../server/errors.ts';
import { header, json } from '../server/exchange.ts';
import { graphPath, type Route } from '../server/route.ts';
import { callerId } from './directory.ts';
import { PERMISSIONS } from './permissions.ts';

/**
 * POST /users/{id | userPrincipalName}/sendMail into a sink instead of Exchange: accepted mail is kept
 * for tests and the demo (GET /_emulator/mail), after the same checks Graph makes before it answers 202.
 */

const Recipient = z.object({ emailAddress: z.object({ address: z.string(), name: z.string().optional() }) });

const Message = z
  .object({
    subject: z.string().nullable().optional(),
    body: z.object({ contentType: z.string(), content: z.string() }).optional(),
    toRecipients: z.array(Recipient).optional(),
    ccRecipients: z.array(Recipient).optional(),
    bccRecipients: z.array(Recipient).optional(),
  })
  // attachments, internetMessageHeaders, flag, importance ... are kept as sent
  .loose();

/** sendMail's two action parameters; OData refuses any other top-level name. */
const SendMailBody = z.strictObject({
  message: Message.optional(),
  saveToSentItems: z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False'])]).optional(),
});

export type SentMessage = z.infer<typeof Message>;

export interface SentMail {
  id: string;
  /** Emulator clock time of the request. */
  sentAt: string;
  /** The mailbox it was sent as. */
  from: { id: string; userPrincipalName: string };
  /** The principal whose token sent it (with Mail.Send, any mailbox). */
  sentBy: string;
  saveToSentItems: boolean;
  message: SentMessage;
}

/** Mail accepted by sendMail, oldest first; shared across re-seeds like the rest of the core. */
export class MailSink {
  private readonly sent: SentMail[] = [];

  record(mail: SentMail): void {
    this.sent.push(mail);
  }

  list(): readonly SentMail[] {
    return this.sent;
  }

  clear(): void {
    this.sent.length = 0;
  }
}

const BODY_TYPES = ['text', 'html'];

/** Rejections Graph (Exchange) makes before accepting: OData binding, body type, recipients. */
function validMessage(raw: unknown): { message: SentMessage; saveToSentItems: boolean } {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const unknown = Object.keys(raw).find((key) => key !== 'message' && key !== 'saveToSentItems');
    if (unknown) throw new EmulatorHttpError(400, 'RequestBodyRead', `The parameter '${unknown}' in the request payload is not a valid parameter for the operation 'sendMail'.`);
  }
  const parsed = SendMailBody.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new EmulatorHttpError(400, 'RequestBodyRead', `Cannot read the sendMail request body: ${issue.path.join('.') || '(body)'} ${issue.message}.`);
  }
  const message = parsed.data.message ?? {};
  if (message.body && !BODY_TYPES.includes(message.body.contentType.toLowerCase())) {
    throw new EmulatorHttpError(400, 'RequestBodyRead', `Cannot convert the literal '${message.body.contentType}' to the expected type 'microsoft.graph.bodyType'.`);
  }
  const recipients = [...(message.toRecipients ?? []), ...(message.ccRecipients ?? []), ...(message.bccRecipients ?? [])];
  if (recipients.length === 0) {
    throw new EmulatorHttpError(400, 'ErrorInvalidRecipients', "At least one recipient is not valid., A message can't be sent because it contains no recipients.");
  }
  const unresolved = recipients.find(({ emailAddress }) => !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(emailAddress.address));
  if (unresolved) {
    throw new EmulatorHttpError(
      400,
      'ErrorInvalidRecipients',
      `At least one recipient is not valid., Recipient '${unresolved.emailAddress.address}' is not resolved. All recipients must be resolved before a message can be submitted.`,
    );
  }
  const save = parsed.data.saveToSentItems;
  return { message, saveToSentItems: save === undefined ? true : String(save).toLowerCase() === 'true' };
}

export const mailRoutes: Route[] = [
  {
    name: 'graph.users.sendMail',
    method: 'POST',
    service: 'graph',
    pattern: graphPath('/users/{user}/sendMail'),
    handle(req, ctx) {
      requireGraphPermission(ctx, PERMISSIONS.sendMail);
      const key = ctx.params['user']!;
      const user = [...ctx.core.tenant.users.values()].find(
        (candidate) => candidate.id.toLowerCase() === key.toLowerCase() || candidate.userPrincipalName.toLowerCase() === key.toLowerCase(),
      );
      if (!user) throw new EmulatorHttpError(404, 'ErrorInvalidUser', `The requested user '${key}' is invalid.`);
      if (typeof req.body === 'string' || /^text\/plain/i.test(header(req, 'content-type') ?? '')) {
        throw new NotImplementedByEmulator('sendMail with a MIME (text/plain, base64) body');
      }
      const { message, saveToSentItems } = validMessage(req.body);
      ctx.core.mail.record({
        id: randomUUID(),
        sentAt: req.receivedAt.toISOString(),
        from: { id: user.id, userPrincipalName: user.userPrincipalName },
        sentBy: callerId(ctx),
        saveToSentItems,
        message,
      });
      return json(202);
    },
  },
  {
    name: 'graph.me.sendMail',
    method: 'POST',
    service: 'graph',
    pattern: graphPath('/me/sendMail'),
    handle() {
      throw new EmulatorHttpError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
    },
  },
];
