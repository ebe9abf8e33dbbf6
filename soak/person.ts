import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { createHash, randomUUID } from 'node:crypto';
import { credentialFor } from '../test/support/emulator.ts';
import { errorType, sleep, Tally } from './tally.ts';
import type { SoakWorld, TargetIdentity } from './world.ts';

const ROLES = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
} as const;
/** Identities the person creates come from this few names, so a name is deleted and made again now and then. */
const IDENTITY_NAMES = 12;
const IDENTITY_GROUP = 'rg-app-000';

type Change = 'grant-ordinary' | 'grant-broad' | 'grant-broad-to-protected' | 'grant-to-new-identity' | 'revoke' | 'create-identity' | 'delete-identity';
/** How often each change is made, out of the sum. */
const WEIGHTS: [Change, number][] = [
  ['grant-ordinary', 30],
  ['grant-broad', 14],
  ['grant-broad-to-protected', 4],
  ['grant-to-new-identity', 10],
  ['revoke', 20],
  ['create-identity', 12],
  ['delete-identity', 10],
];

export class PersonFigures {
  readonly made = new Tally();
  readonly failed = new Tally();

  toJSON() {
    return { changesMade: this.made.toJSON(), changesFailed: this.failed.toJSON(), total: this.made.total() + this.failed.total() };
  }
}

interface MadeAssignment {
  id: string;
  scope: string;
}

/**
 * A person with Owner on the whole estate, changing it through the real ARM SDKs as the portal would, one change at
 * a time: ordinary grants (Reader, Storage Blob Data Reader on an identity's resource group), broad ones the policy
 * down-scopes (Owner, Contributor on a subscription), broad ones to the protected identity (never touched), grants to
 * identities they just made, revocations of their own grants, identities created and deleted (a deleted identity
 * leaves its grants orphaned, within the policy's grace period). Faults hit the person's calls as well as the bot's.
 */
export class Person {
  readonly figures = new PersonFigures();
  private readonly random: Dice;
  private readonly authorization: AuthorizationManagementClient;
  private readonly identityClients = new Map<string, ManagedServiceIdentityClient>();
  private readonly grants: MadeAssignment[] = [];
  private readonly madeIdentities = new Map<string, TargetIdentity>();

  constructor(
    private readonly world: SoakWorld,
    seed: number,
  ) {
    this.random = new Dice(seed);
    this.authorization = new AuthorizationManagementClient(credentialFor(world.emulator, world.humanPrincipalId), world.subscriptionIds[0]!, this.armOptions());
  }

  /** Makes changes every `everyMs` until `signal` aborts. */
  async run(everyMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const change = this.pick();
      try {
        const made = await this.make(change);
        this.figures.made.add(made ? change : `${change} (nothing to do)`);
      } catch (error) {
        this.figures.failed.add(`${change}: ${errorType(error)}`);
      }
      await sleep(everyMs, signal);
    }
  }

  private pick(): Change {
    const total = WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.random.next() * total;
    for (const [change, weight] of WEIGHTS) if ((roll -= weight) < 0) return change;
    return WEIGHTS[0]![0];
  }

  private async make(change: Change): Promise<boolean> {
    const { identities, protectedIdentity } = this.world;
    switch (change) {
      case 'grant-ordinary': {
        const identity = this.random.pick(identities);
        return this.grant(identity.resourceGroupId, this.random.next() < 0.5 ? ROLES.reader : ROLES.storageBlobDataReader, identity);
      }
      case 'grant-broad': {
        const identity = this.random.pick(identities);
        return this.grant(`/subscriptions/${identity.subscriptionId}`, this.random.next() < 0.5 ? ROLES.owner : ROLES.contributor, identity);
      }
      case 'grant-broad-to-protected':
        return this.grant(`/subscriptions/${protectedIdentity.subscriptionId}`, this.random.next() < 0.5 ? ROLES.owner : ROLES.contributor, protectedIdentity);
      case 'grant-to-new-identity': {
        const made = [...this.madeIdentities.values()];
        if (made.length === 0) return false;
        const identity = this.random.pick(made);
        return this.grant(identity.resourceGroupId, ROLES.reader, identity);
      }
      case 'revoke': {
        if (this.grants.length === 0) return false;
        const [grant] = this.grants.splice(this.random.int(0, this.grants.length - 1), 1);
        // The bot may have removed or down-scoped it already: ARM answers 204 then, which is fine.
        await this.authorization.roleAssignments.deleteById(grant!.id);
        return true;
      }
      case 'create-identity': {
        const subscriptionId = this.world.subscriptionIds[0]!;
        const name = `id-soak-${this.random.int(0, IDENTITY_NAMES - 1)}`;
        const identity = await this.identities(subscriptionId).userAssignedIdentities.createOrUpdate(IDENTITY_GROUP, name, { location: 'westeurope' });
        const resourceGroupId = `/subscriptions/${subscriptionId}/resourceGroups/${IDENTITY_GROUP}`;
        this.madeIdentities.set(name, { id: identity.id!, principalId: identity.principalId!, subscriptionId, resourceGroupId });
        return true;
      }
      case 'delete-identity': {
        const made = [...this.madeIdentities.keys()];
        if (made.length === 0) return false;
        const name = this.random.pick(made);
        await this.identities(this.world.subscriptionIds[0]!).userAssignedIdentities.delete(IDENTITY_GROUP, name);
        this.madeIdentities.delete(name);
        return true;
      }
    }
  }

  private async grant(scope: string, role: string, identity: TargetIdentity): Promise<boolean> {
    const subscription = scope.split('/')[2]!;
    const created = await this.authorization.roleAssignments.create(scope, randomUUID(), {
      roleDefinitionId: `/subscriptions/${subscription}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
      principalId: identity.principalId,
      principalType: 'ServicePrincipal',
    });
    this.grants.push({ id: created.id!, scope });
    return true;
  }

  private identities(subscriptionId: string): ManagedServiceIdentityClient {
    let client = this.identityClients.get(subscriptionId);
    if (!client) this.identityClients.set(subscriptionId, (client = new ManagedServiceIdentityClient(credentialFor(this.world.emulator, this.world.humanPrincipalId), subscriptionId, this.armOptions())));
    return client;
  }

  private armOptions() {
    return { endpoint: this.world.emulator.baseUrl, credentialScopes: ['https://management.azure.com/.default'] };
  }
}

/**
 * The person's choices, reproducible from the seed. Not the generator's SeededRandom: drawn a fixed number of
 * times between choices, its successive values are strongly correlated (some changes were never picked).
 */
class Dice {
  private drawn = 0;

  constructor(private readonly seed: number) {}

  /** A float in [0, 1). */
  next(): number {
    return createHash('sha256').update(`${this.seed}:${this.drawn++}`).digest().readUInt32BE(0) / 2 ** 32;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }
}
