import { managementGroupScope } from '../state/tenant.ts';
import { SEED_AS_OF } from './as-of.ts';
import { SeededRandom } from './random.ts';
import type { SeedInput } from './schema.ts';
import { RULE_IDS, type RuleId } from '../../src/rules/rule.ts';

/**
 * Large tenants for benchmarks and scale tests, generated from a few numbers. Pure and deterministic:
 * the same options give byte-identical JSON. The tenant is a realistic mix (about 60 % user-assigned
 * identities, most of them attached; people, groups, application principals) with a few per cent of
 * each violation in the rule catalogue planted, and a manifest saying how many findings each rule
 * should produce as of SEED_AS_OF under the default rule parameters and policy. Every planted object
 * is built to fire only the rules the manifest counts for it; everything else is kept clearly healthy
 * (recent sign-ins, attached, non-privileged roles) so the counts are exact. Azure's limits hold:
 * at most 4,000 role assignments per subscription and 500 per management group.
 */
export interface GenerateOptions {
  roleAssignments: number;
  /** Managed identities: user-assigned identities plus resources with a system-assigned identity. */
  identities: number;
  subscriptions: number;
  /** Seed of the random source. */
  seed: number;
}

export const TENANT_SIZES = {
  S: { roleAssignments: 1_000, identities: 500, subscriptions: 5 },
  M: { roleAssignments: 20_000, identities: 5_000, subscriptions: 50 },
  L: { roleAssignments: 100_000, identities: 25_000, subscriptions: 300 },
} as const;
export type TenantSize = keyof typeof TENANT_SIZES;

export const optionsForSize = (size: TenantSize, seed = 1): GenerateOptions => ({ ...TENANT_SIZES[size], seed });

/** `--scale N`: N times size S. */
export const optionsForScale = (scale: number, seed = 1): GenerateOptions => ({
  roleAssignments: TENANT_SIZES.S.roleAssignments * scale,
  identities: TENANT_SIZES.S.identities * scale,
  subscriptions: TENANT_SIZES.S.subscriptions * scale,
  seed,
});

/** The rule ids of DESIGN.md §4 (a contract shared with the bot), which the manifest counts findings for. */
export const CATALOGUE_RULES = RULE_IDS;
export type CatalogueRule = RuleId;

export interface GenerationManifest {
  options: GenerateOptions;
  /** The instant the tenant is written against; scan with `--as-of` it. */
  asOf: string;
  counts: {
    managementGroups: number;
    subscriptions: number;
    resourceGroups: number;
    userAssignedIdentities: number;
    systemAssignedIdentities: number;
    resources: number;
    roleAssignments: number;
    customRoles: number;
    users: number;
    groups: number;
    applicationServicePrincipals: number;
    appRoleAssignments: number;
    directoryRoleAssignments: number;
  };
  /** Findings each rule should produce (default parameters, managed identities only), the bot's own included. */
  expectedFindings: Record<CatalogueRule, number>;
  /**
   * Of those, the findings that must be reported but never remediated: assignments of a soft-deleted principal
   * (DESIGN §4: the principal is not in the directory, yet removing its access is blocked while it is restorable).
   */
  remediationBlocked: Pick<Record<CatalogueRule, number>, 'orphaned-role-assignment'>;
  /** Planted near-misses that must produce no finding. */
  nearMisses: {
    conditionedDelegations: number;
    specificCustomRoles: number;
    readOnlyGraphPermissions: number;
    unprivilegedDirectoryRoles: number;
    humanOwners: number;
  };
}

export interface GeneratedTenant {
  seed: SeedInput;
  manifest: GenerationManifest;
}

type Entry<K extends keyof SeedInput> = NonNullable<SeedInput[K]> extends (infer T)[] ? T : never;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MAX_ASSIGNMENTS_PER_SUBSCRIPTION = 4_000;
const MAX_ASSIGNMENTS_PER_MANAGEMENT_GROUP = 500;
const SUBSCRIPTIONS_PER_LEAF_GROUP = 10;

/** Roles that never make a finding at any scope: no role-assignment write, no write on every resource type. */
const UNPRIVILEGED_ROLES = [
  'Reader',
  'Storage Blob Data Reader',
  'Storage Blob Data Contributor',
  'Storage Queue Data Contributor',
  'Key Vault Secrets User',
  'Monitoring Reader',
  'AcrPull',
  'Website Contributor',
  'Log Analytics Contributor',
  'Cost Management Reader',
] as const;
const SYSTEM_ASSIGNED_TYPES = [
  ['Microsoft.Web/sites', 'app'],
  ['Microsoft.Compute/virtualMachines', 'vm'],
  ['Microsoft.Logic/workflows', 'logic'],
  ['Microsoft.DataFactory/factories', 'adf'],
  ['Microsoft.ContainerService/managedClusters', 'aks'],
  ['Microsoft.Automation/automationAccounts', 'aa'],
  ['Microsoft.ContainerInstance/containerGroups', 'aci'],
] as const;
const PRIVILEGED_GRAPH_PERMISSIONS = ['RoleManagement.ReadWrite.Directory', 'AppRoleAssignment.ReadWrite.All', 'Application.ReadWrite.All', 'Directory.ReadWrite.All'] as const;
const READ_ONLY_GRAPH_PERMISSIONS = ['User.Read.All', 'Group.Read.All', 'Directory.Read.All'] as const;
const PRIVILEGED_DIRECTORY_ROLES = ['Privileged Role Administrator', 'Application Administrator', 'Cloud Application Administrator', 'Global Administrator'] as const;
const UNPRIVILEGED_DIRECTORY_ROLES = ['Directory Readers', 'Reports Reader'] as const;

/** What an identity is planted as; `healthy` fires nothing, `bot` is the bot's own identity. */
type Plant = 'bot' | 'healthy' | 'new' | 'unattached' | 'stale' | 'broad' | 'delegation' | 'wildcard' | 'graph' | 'directory' | 'group';

interface SubscriptionPlan {
  subscriptionId: string;
  scope: string;
  managementGroup: string;
  resourceGroups: string[];
  dataResources: string[];
  /** System-assigned resources, which user-assigned identities may also attach to. */
  systemAssignedResources: Entry<'resources'>[];
}

interface IdentityPlan {
  plant: Plant;
  /** Which variant of the plant (e.g. which privileged role), counted per plant. */
  variant: number;
  kind: 'userAssigned' | 'systemAssigned';
  subscription: SubscriptionPlan;
  resourceGroup: string;
  id: string;
  principalId: string;
  createdAt: number;
}

const iso = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString().replace('.000Z', 'Z');
const pad = (n: number, width = 4) => String(n).padStart(width, '0');
/** A few per cent of a population, at least one. */
const share = (fraction: number, of: number) => Math.max(1, Math.round(of * fraction));

export function generateTenant(options: GenerateOptions): GeneratedTenant {
  validate(options);
  return new TenantGenerator(options).generate();
}

function validate(options: GenerateOptions): void {
  const { roleAssignments, identities, subscriptions, seed } = options;
  for (const [name, value] of Object.entries({ roleAssignments, identities, subscriptions, seed })) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, not ${value}`);
  }
  if (seed > 0xffffffff) throw new RangeError('seed must fit in 32 bits');
  if (identities < 50) throw new RangeError('identities must be at least 50 to plant every violation class');
  if (subscriptions < 1 || subscriptions > identities) throw new RangeError('subscriptions must be between 1 and the number of identities');
  if (roleAssignments / subscriptions > MAX_ASSIGNMENTS_PER_SUBSCRIPTION * 0.9) {
    throw new RangeError(`${roleAssignments} role assignments over ${subscriptions} subscriptions exceeds Azure's ${MAX_ASSIGNMENTS_PER_SUBSCRIPTION} per subscription: add subscriptions`);
  }
}

class TenantGenerator {
  private readonly random: SeededRandom;
  private readonly asOf = new Date(SEED_AS_OF).getTime();
  private readonly seed: Required<Omit<SeedInput, '$schema' | 'description'>> & Pick<SeedInput, 'description'>;
  private readonly expected = Object.fromEntries(CATALOGUE_RULES.map((rule) => [rule, 0])) as Record<CatalogueRule, number>;
  private readonly remediationBlocked: GenerationManifest['remediationBlocked'] = { 'orphaned-role-assignment': 0 };
  private readonly nearMisses: GenerationManifest['nearMisses'] = {
    conditionedDelegations: 0,
    specificCustomRoles: 0,
    readOnlyGraphPermissions: 0,
    unprivilegedDirectoryRoles: 0,
    humanOwners: 0,
  };
  /** scope|role|principal of every assignment, since ARM allows each only once. */
  private readonly assignmentKeys = new Set<string>();
  /** Assignments per subscription and per management group, against Azure's limits. */
  private readonly assignmentsPerContainer = new Map<string, number>();
  private readonly topGroup = 'mg-gen';
  private subscriptions: SubscriptionPlan[] = [];

  constructor(private readonly options: GenerateOptions) {
    this.random = new SeededRandom(options.seed);
    const tenantId = this.random.guid();
    const bot = { principalId: this.random.guid(), clientId: this.random.guid() };
    this.seed = {
      schemaVersion: 1,
      description: `Generated tenant (${options.roleAssignments} role assignments, ${options.identities} identities, ${options.subscriptions} subscriptions, seed ${options.seed}), as of ${SEED_AS_OF}.`,
      tenantId,
      managementGroups: [],
      subscriptions: [],
      userAssignedIdentities: [],
      resources: [],
      servicePrincipals: [],
      deletedServicePrincipals: [],
      signInActivity: [],
      roleDefinitions: [],
      roleAssignments: [],
      appRoleAssignments: [],
      groups: [],
      users: [],
      directoryRoleAssignments: [],
      bot,
    };
  }

  generate(): GeneratedTenant {
    this.layOutEstate();
    this.defineCustomRoles();
    const identities = this.planIdentities();
    this.createIdentities(identities);
    this.plantIdentityViolations(identities);
    this.plantOrphanedPrincipals();
    const people = this.createPeopleAndApplications(identities);
    this.plantOrphanedAssignments();
    this.fillRoleAssignments([...identities.filter((identity) => identity.plant !== 'unattached' && identity.plant !== 'bot'), ...people]);
    return { seed: this.seed, manifest: this.manifest() };
  }

  // ---- estate ----

  private layOutEstate(): void {
    const { subscriptions, identities } = this.options;
    this.seed.managementGroups.push(
      { name: this.topGroup, displayName: 'Generated organisation', parent: null, subscriptions: [] },
      { name: 'mg-gen-prod', displayName: 'Production', parent: this.topGroup, subscriptions: [] },
      { name: 'mg-gen-nonprod', displayName: 'Non-production', parent: this.topGroup, subscriptions: [] },
    );
    const identitiesPerSubscription = Math.ceil(identities / subscriptions);
    const resourceGroupsPerSubscription = Math.max(2, Math.ceil(identitiesPerSubscription / 12));
    for (let s = 0; s < subscriptions; s++) {
      const leafIndex = Math.floor(s / SUBSCRIPTIONS_PER_LEAF_GROUP);
      const environment = leafIndex % 2 === 0 ? 'prod' : 'nonprod';
      const leafName = `mg-gen-${environment}-${pad(leafIndex, 3)}`;
      if (s % SUBSCRIPTIONS_PER_LEAF_GROUP === 0) this.seed.managementGroups.push({ name: leafName, parent: `mg-gen-${environment}`, subscriptions: [] });
      const subscriptionId = this.random.guid();
      this.seed.managementGroups.at(-1)!.subscriptions!.push(subscriptionId);
      const resourceGroups = Array.from({ length: resourceGroupsPerSubscription }, (_, g) => `rg-app-${pad(g, 3)}`);
      this.seed.subscriptions.push({ subscriptionId, displayName: `sub-${pad(s, 3)}-${environment}`, resourceGroups: [...resourceGroups, 'rg-data'] });
      const scope = `/subscriptions/${subscriptionId}`;
      const dataResources = [`${scope}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/stgen${pad(s, 4)}`, `${scope}/resourceGroups/rg-data/providers/Microsoft.KeyVault/vaults/kv-gen-${pad(s, 4)}`];
      for (const id of dataResources) this.seed.resources.push({ id, createdAt: iso(this.pastTime(200, 1000)) });
      this.subscriptions.push({ subscriptionId, scope, managementGroup: leafName, resourceGroups: resourceGroups.map((rg) => `${scope}/resourceGroups/${rg}`), dataResources, systemAssignedResources: [] });
    }
  }

  private defineCustomRoles(): void {
    const assignableScopes = [managementGroupScope(this.topGroup)];
    this.seed.roleDefinitions.push(
      { id: this.random.guid(), roleName: 'gen-ops-everything', description: 'Every action (planted: privileged, wildcard).', assignableScopes, permissions: [{ actions: ['*'] }] },
      {
        id: this.random.guid(),
        roleName: 'gen-deployer',
        description: 'Write any resource but not access (planted: wildcard).',
        assignableScopes,
        permissions: [{ actions: ['*/read', '*/write', '*/delete'], notActions: ['Microsoft.Authorization/*/Write', 'Microsoft.Authorization/*/Delete'] }],
      },
      {
        id: this.random.guid(),
        roleName: 'gen-vm-operator',
        description: 'Start and restart virtual machines (near-miss: specific actions).',
        assignableScopes,
        permissions: [{ actions: ['Microsoft.Compute/virtualMachines/read', 'Microsoft.Compute/virtualMachines/start/action', 'Microsoft.Compute/virtualMachines/restart/action'] }],
      },
    );
  }

  // ---- identities ----

  /** Decides each identity's kind, place and plant; identity 0 is the bot. */
  private planIdentities(): IdentityPlan[] {
    const { identities } = this.options;
    const kinds = Array.from({ length: identities }, (_, n) => (n % 5 < 3 ? 'userAssigned' : 'systemAssigned') as IdentityPlan['kind']);
    const plants: Plant[] = ['bot', ...new Array<Plant>(identities - 1).fill('healthy')];
    const order = this.random.shuffle(Array.from({ length: identities - 1 }, (_, n) => n + 1));
    const take = (plant: Plant, count: number, kind?: IdentityPlan['kind']) => {
      let taken = 0;
      for (const n of order) {
        if (taken === count) break;
        if (plants[n] !== 'healthy' || (kind && kinds[n] !== kind)) continue;
        plants[n] = plant;
        taken++;
      }
    };
    take('unattached', share(0.03, Math.round(identities * 0.6)), 'userAssigned');
    take('new', share(0.01, identities));
    take('stale', share(0.03, identities));
    take('broad', share(0.01, identities));
    take('delegation', share(0.005, identities));
    take('wildcard', share(0.005, identities));
    take('graph', share(0.005, identities));
    take('directory', share(0.002, identities));
    take('group', share(0.005, identities));

    const variants = new Map<Plant, number>();
    return kinds.map((kind, n) => {
      const plant = plants[n]!;
      const variant = variants.get(plant) ?? 0;
      variants.set(plant, variant + 1);
      const subscription = this.subscriptions[n % this.subscriptions.length]!;
      const resourceGroup = this.random.pick(subscription.resourceGroups);
      const [type, prefix] = SYSTEM_ASSIGNED_TYPES[n % SYSTEM_ASSIGNED_TYPES.length]!;
      const id = n === 0
        ? `${subscription.scope}/resourceGroups/rg-idwarden/providers/Microsoft.ManagedIdentity/userAssignedIdentities/idwarden`
        : kind === 'userAssigned'
          ? `${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${pad(n, 5)}`
          : `${resourceGroup}/providers/${type}/${prefix}-${pad(n, 5)}`;
      const principalId = n === 0 ? this.seed.bot.principalId : this.random.guid();
      return { plant, variant, kind, subscription, resourceGroup, id, principalId, createdAt: this.createdAt(plant, variant) };
    });
  }

  private createdAt(plant: Plant, variant: number): number {
    switch (plant) {
      case 'new':
        return this.asOf - this.random.int(60, 23 * 60) * 60_000;
      case 'unattached':
        return this.pastTime(30, 600);
      case 'stale':
        return variant % 2 === 0 ? this.pastTime(400, 900) : this.pastTime(120, 700);
      default:
        return this.pastTime(3, 1000);
    }
  }

  private createIdentities(identities: IdentityPlan[]): void {
    const bot = identities[0]!;
    this.seed.subscriptions[0]!.resourceGroups!.push('rg-idwarden');
    for (const identity of identities.filter((i) => i.kind === 'systemAssigned')) {
      const resource: Entry<'resources'> = { id: identity.id, createdAt: iso(identity.createdAt), identity: { type: 'SystemAssigned', principalId: identity.principalId } };
      this.seed.resources.push(resource);
      identity.subscription.systemAssignedResources.push(resource);
    }
    for (const identity of identities.filter((i) => i.kind === 'userAssigned')) {
      this.seed.userAssignedIdentities.push({ id: identity.id, principalId: identity.principalId, clientId: identity === bot ? this.seed.bot.clientId : this.random.guid(), createdAt: iso(identity.createdAt) });
      if (identity.plant !== 'unattached') this.attach(identity);
    }
    for (const identity of identities) {
      const lastSignIn = this.lastSignIn(identity);
      if (lastSignIn !== undefined) this.seed.signInActivity.push({ principalId: identity.principalId, lastSignIn: iso(lastSignIn) });
    }
    this.plant(identities.filter((identity) => identity.plant === 'new').length, 'new-identity');
    this.plant(identities.filter((identity) => identity.plant === 'unattached').length, 'unattached-user-assigned-identity');
  }

  /** Half the time onto a system-assigned resource of the same subscription, else onto a function app of its own (always for the bot). */
  private attach(identity: IdentityPlan): void {
    const hosts = identity.subscription.systemAssignedResources;
    if (identity.plant !== 'bot' && hosts.length > 0 && this.random.next() < 0.5) {
      const host = this.random.pick(hosts);
      host.identity = { ...host.identity!, type: 'SystemAssigned, UserAssigned', userAssignedIdentities: [...(host.identity!.userAssignedIdentities ?? []), identity.id] };
      return;
    }
    const name = `func-${identity.id.split('/').pop()!.replace(/^id-/, '')}`;
    const resourceGroup = identity.id.split('/providers/')[0]!;
    const createdAt = Math.min(identity.createdAt + HOUR, this.asOf);
    this.seed.resources.push({ id: `${resourceGroup}/providers/Microsoft.Web/sites/${name}`, createdAt: iso(createdAt), identity: { type: 'UserAssigned', userAssignedIdentities: [identity.id] } });
  }

  private lastSignIn(identity: IdentityPlan): number | undefined {
    switch (identity.plant) {
      case 'unattached':
        return undefined;
      case 'new':
        return identity.variant % 2 === 0 ? undefined : this.random.int(identity.createdAt, this.asOf);
      case 'stale':
        return identity.variant % 2 === 0 ? this.random.int(identity.createdAt, this.asOf - 120 * DAY) : undefined;
      default:
        return Math.max(this.asOf - this.random.int(1, 14 * 24 * 60) * 60_000, identity.createdAt + HOUR);
    }
  }

  // ---- planted violations ----

  private plantIdentityViolations(identities: IdentityPlan[]): void {
    const bot = identities[0]!;
    const top = managementGroupScope(this.topGroup);
    this.assign(top, 'Reader', bot);
    this.assign(top, 'Role Based Access Control Administrator', bot);
    this.plant(1, 'privileged-role-broad-scope', 'unconstrained-role-delegation');
    for (const permission of ['Directory.Read.All', 'Application.Read.All', 'AuditLog.Read.All']) this.seed.appRoleAssignments.push({ principalId: bot.principalId, permission });

    const planted = (plant: Plant) => identities.filter((identity) => identity.plant === plant);
    for (const identity of planted('stale')) this.assign(this.random.pick(identity.subscription.resourceGroups), this.random.pick(UNPRIVILEGED_ROLES), identity);
    this.plant(planted('stale').length, 'stale-identity');

    for (const identity of planted('broad')) {
      const subscription = identity.subscription.scope;
      switch (identity.variant % 5) {
        case 0:
          this.assign(subscription, 'Owner', identity);
          this.plant(1, 'privileged-role-broad-scope', 'unconstrained-role-delegation');
          break;
        case 1:
          this.assign(subscription, 'Contributor', identity);
          this.plant(1, 'privileged-role-broad-scope');
          break;
        case 2:
          this.assign(managementGroupScope(identity.subscription.managementGroup), 'Contributor', identity);
          this.plant(1, 'privileged-role-broad-scope');
          break;
        case 3:
          this.assign(subscription, 'User Access Administrator', identity);
          this.plant(1, 'privileged-role-broad-scope', 'unconstrained-role-delegation');
          break;
        default:
          this.assign(subscription, 'gen-ops-everything', identity);
          this.plant(1, 'privileged-role-broad-scope', 'unconstrained-role-delegation', 'custom-role-wildcard');
      }
    }
    for (const identity of planted('delegation')) this.assign(identity.resourceGroup, 'Role Based Access Control Administrator', identity);
    this.plant(planted('delegation').length, 'unconstrained-role-delegation');
    for (const identity of planted('wildcard')) this.assign(identity.resourceGroup, 'gen-deployer', identity);
    this.plant(planted('wildcard').length, 'custom-role-wildcard');
    for (const identity of planted('graph')) this.seed.appRoleAssignments.push({ principalId: identity.principalId, permission: PRIVILEGED_GRAPH_PERMISSIONS[identity.variant % PRIVILEGED_GRAPH_PERMISSIONS.length]! });
    this.plant(planted('graph').length, 'privileged-graph-app-role');
    for (const identity of planted('directory')) this.seed.directoryRoleAssignments.push({ principalId: identity.principalId, role: PRIVILEGED_DIRECTORY_ROLES[identity.variant % PRIVILEGED_DIRECTORY_ROLES.length]! });
    this.plant(planted('directory').length, 'privileged-directory-role');
    for (const identity of planted('group')) this.plantGroupPrivilege(identity);
    this.plant(planted('group').length, 'privileged-group-membership');

    this.plantNearMisses(planted('healthy'));
  }

  /** Owner through two levels of nesting, Contributor at a management group, or a privileged directory role. */
  private plantGroupPrivilege(identity: IdentityPlan): void {
    const n = pad(identity.variant, 4);
    switch (identity.variant % 3) {
      case 0: {
        const automation = this.group(`gen-sg-automation-${n}`, [identity.principalId]);
        const engineers = this.group(`gen-sg-engineers-${n}`, [automation]);
        this.assign(identity.subscription.scope, 'Owner', { principalId: this.group(`gen-sg-owners-${n}`, [engineers]), principalType: 'Group' });
        break;
      }
      case 1:
        this.assign(managementGroupScope(identity.subscription.managementGroup), 'Contributor', { principalId: this.group(`gen-sg-mg-contributors-${n}`, [identity.principalId]), principalType: 'Group' });
        break;
      default:
        this.seed.directoryRoleAssignments.push({ principalId: this.group(`gen-rag-admins-${n}`, [identity.principalId], true), role: PRIVILEGED_DIRECTORY_ROLES[identity.variant % PRIVILEGED_DIRECTORY_ROLES.length]! });
    }
  }

  /** Healthy identities that look like violations but are not. */
  private plantNearMisses(healthy: IdentityPlan[]): void {
    const count = share(0.005, this.options.identities);
    const pick = () => this.random.pick(healthy);
    for (let i = 0; i < count; i++) {
      const delegator = pick();
      if (
        this.assign(delegator.resourceGroup, 'Role Based Access Control Administrator', delegator, {
          condition: "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {acdd72a7-3385-48ef-bd42-f606fba81ae7}))",
        })
      ) {
        this.nearMisses.conditionedDelegations++;
      }
      const operator = pick();
      if (this.assign(operator.subscription.scope, 'gen-vm-operator', operator)) this.nearMisses.specificCustomRoles++;
      this.seed.appRoleAssignments.push({ principalId: healthy[(i * 7) % healthy.length]!.principalId, permission: READ_ONLY_GRAPH_PERMISSIONS[i % READ_ONLY_GRAPH_PERMISSIONS.length]! });
      this.nearMisses.readOnlyGraphPermissions++;
    }
    for (let i = 0; i < share(0.002, this.options.identities); i++) {
      this.seed.directoryRoleAssignments.push({ principalId: healthy[(i * 11 + 3) % healthy.length]!.principalId, role: UNPRIVILEGED_DIRECTORY_ROLES[i % UNPRIVILEGED_DIRECTORY_ROLES.length]! });
      this.nearMisses.unprivilegedDirectoryRoles++;
    }
  }

  /** Managed-identity principals whose resource was deleted (a VM, or a user-assigned identity). */
  private plantOrphanedPrincipals(): void {
    const count = share(0.01, this.options.identities);
    for (let i = 0; i < count; i++) {
      const subscription = this.random.pick(this.subscriptions);
      const resourceGroup = this.random.pick(subscription.resourceGroups);
      const explicit = i % 2 === 1;
      const name = explicit ? `id-deleted-${pad(i)}` : `vm-deleted-${pad(i)}`;
      const resourceId = explicit ? `${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}` : `${resourceGroup}/providers/Microsoft.Compute/virtualMachines/${name}`;
      this.seed.servicePrincipals.push({
        id: this.random.guid(),
        appId: this.random.guid(),
        displayName: name,
        servicePrincipalType: 'ManagedIdentity',
        alternativeNames: [`isExplicit=${explicit ? 'True' : 'False'}`, resourceId],
        createdAt: iso(this.pastTime(200, 900)),
      });
    }
    this.plant(count, 'orphaned-identity-principal');
  }

  /** Assignments whose principal is gone for good, and assignments whose principal is only soft-deleted (reported, never removed). */
  private plantOrphanedAssignments(): void {
    const orphans = share(0.02, this.options.roleAssignments);
    const types = ['ServicePrincipal', 'User', 'Group'] as const;
    for (let i = 0; i < orphans; i++) {
      const subscription = this.random.pick(this.subscriptions);
      this.assign(this.random.pick(subscription.resourceGroups), this.random.pick(UNPRIVILEGED_ROLES), { principalId: this.random.guid(), principalType: types[i % types.length]!, createdAt: this.pastTime(30, 900) });
    }
    this.plant(orphans, 'orphaned-role-assignment');
    const softDeleted = share(0.005, this.options.roleAssignments);
    for (let i = 0; i < softDeleted; i++) {
      const id = this.random.guid();
      const createdAt = this.pastTime(200, 900);
      this.seed.deletedServicePrincipals.push({ id, appId: this.random.guid(), displayName: `gen-retired-app-${pad(i)}`, servicePrincipalType: 'Application', createdAt: iso(createdAt), deletedDateTime: iso(this.pastTime(1, 25)) });
      const subscription = this.random.pick(this.subscriptions);
      this.assign(this.random.pick(subscription.dataResources), 'Storage Blob Data Reader', { principalId: id, principalType: 'ServicePrincipal', createdAt });
    }
    this.plant(softDeleted, 'orphaned-role-assignment');
    this.remediationBlocked['orphaned-role-assignment'] += softDeleted;
  }

  // ---- people, groups and applications ----

  /** Users, their team groups and application principals; returns them as holders of ordinary roles. */
  private createPeopleAndApplications(identities: IdentityPlan[]): Principal[] {
    const { identities: count } = this.options;
    const users: Principal[] = [];
    for (let i = 0; i < Math.max(5, Math.round(count / 20)); i++) {
      const id = this.random.guid();
      this.seed.users.push({ id, displayName: `Generated User ${pad(i)}`, userPrincipalName: `user${pad(i)}@gen.example` });
      users.push({ principalId: id, principalType: 'User', subscription: this.random.pick(this.subscriptions) });
    }
    // People may hold anything: an Owner who is a person is a near-miss for the workload rules.
    for (const user of users.filter((_, i) => i % 10 === 0)) {
      if (this.assign(user.subscription!.scope, 'Owner', user)) this.nearMisses.humanOwners++;
    }
    this.seed.directoryRoleAssignments.push({ principalId: users[0]!.principalId, role: 'Global Administrator' });

    const healthy = identities.filter((identity) => identity.plant === 'healthy');
    const teams: Principal[] = [];
    for (let t = 0; t < Math.max(3, Math.round(count / 100)); t++) {
      const members = [...users.filter((_, i) => i % 7 === t % 7).map((user) => user.principalId), ...healthy.filter((_, i) => i % 40 === t % 40).map((identity) => identity.principalId)];
      const id = this.group(`gen-sg-team-${pad(t)}`, members);
      const team: Principal = { principalId: id, principalType: 'Group', subscription: this.random.pick(this.subscriptions) };
      this.assign(t % 2 === 0 ? team.subscription!.scope : this.random.pick(team.subscription!.resourceGroups), t % 2 === 0 ? 'Reader' : 'Contributor', team);
      teams.push(team);
    }
    this.assign(managementGroupScope(this.topGroup), 'Reader', teams[0]!);

    const applications: Principal[] = [];
    for (let a = 0; a < Math.max(2, Math.round(count / 100)); a++) {
      const id = this.random.guid();
      const appId = this.random.guid();
      this.seed.servicePrincipals.push({ id, appId, displayName: `gen-app-${pad(a)}`, servicePrincipalType: 'Application', createdAt: iso(this.pastTime(30, 900)) });
      this.seed.signInActivity.push({ principalId: id, lastSignIn: iso(this.pastTime(0, 7)) });
      if (a % 3 === 0) this.seed.appRoleAssignments.push({ principalId: id, permission: 'User.Read.All' });
      applications.push({ principalId: id, principalType: 'ServicePrincipal', subscription: this.random.pick(this.subscriptions) });
    }
    return [...users, ...teams, ...applications];
  }

  private group(displayName: string, members: string[], isAssignableToRole = false): string {
    const id = this.random.guid();
    this.seed.groups.push({ id, displayName, members, ...(isAssignableToRole ? { isAssignableToRole } : {}) });
    return id;
  }

  // ---- role assignments ----

  /** Tops the role assignments up to the requested number with ordinary roles for healthy holders. */
  private fillRoleAssignments(holders: Principal[]): void {
    const missing = this.options.roleAssignments - this.seed.roleAssignments.length;
    if (missing < 0) {
      throw new RangeError(`the planted mix needs ${this.seed.roleAssignments.length} role assignments; ask for at least that many`);
    }
    const eligible = holders.filter((holder) => holder.subscription);
    const cursors = eligible.map(() => this.random.int(0, 1_000_000));
    let added = 0;
    for (let round = 0; added < missing; round++) {
      if (round > 10_000) throw new RangeError('cannot place that many distinct role assignments on this tenant');
      for (let h = 0; h < eligible.length && added < missing; h++) {
        const holder = eligible[h]!;
        const scopes = [...holder.subscription!.resourceGroups, ...holder.subscription!.dataResources, holder.subscription!.scope];
        const combination = cursors[h]! + round;
        const role = UNPRIVILEGED_ROLES[combination % UNPRIVILEGED_ROLES.length]!;
        const scope = scopes[Math.floor(combination / UNPRIVILEGED_ROLES.length) % scopes.length]!;
        if (this.hasRoom(scope) && this.assign(scope, role, holder)) added++;
      }
    }
  }

  /** Adds an assignment unless ARM would refuse it as a duplicate (false then); options that break Azure's limits throw. */
  private assign(scope: string, role: string, holder: Principal, extra: { condition?: string } = {}): boolean {
    const key = `${scope}|${role}|${holder.principalId}`.toLowerCase();
    if (this.assignmentKeys.has(key)) return false;
    const container = containerOf(scope);
    if (container) {
      const count = (this.assignmentsPerContainer.get(container.name) ?? 0) + 1;
      if (count > container.limit) throw new RangeError(`more than ${container.limit} role assignments in ${container.name}: add subscriptions`);
      this.assignmentsPerContainer.set(container.name, count);
    }
    this.assignmentKeys.add(key);
    const createdFrom = holder.createdAt ?? this.pastTime(30, 900);
    this.seed.roleAssignments.push({
      name: this.random.guid(),
      scope,
      role,
      principalId: holder.principalId,
      principalType: holder.principalType ?? 'ServicePrincipal',
      createdOn: iso(Math.min(createdFrom + this.random.int(1, 24 * 60) * 60_000, this.asOf)),
      ...(extra.condition ? { condition: extra.condition, conditionVersion: '2.0' as const } : {}),
    });
    return true;
  }

  private hasRoom(scope: string): boolean {
    const container = containerOf(scope);
    return !container || (this.assignmentsPerContainer.get(container.name) ?? 0) < container.limit;
  }

  // ---- bookkeeping ----

  private plant(count: number, ...rules: CatalogueRule[]): void {
    for (const rule of rules) this.expected[rule] += count;
  }

  /** An instant between `minDays` and `maxDays` before as-of. */
  private pastTime(minDays: number, maxDays: number): number {
    return this.asOf - this.random.int(minDays * 24 * 60, maxDays * 24 * 60) * 60_000;
  }

  private manifest(): GenerationManifest {
    const seed = this.seed;
    return {
      options: { ...this.options },
      asOf: SEED_AS_OF,
      counts: {
        managementGroups: seed.managementGroups.length,
        subscriptions: seed.subscriptions.length,
        resourceGroups: seed.subscriptions.reduce((sum, s) => sum + (s.resourceGroups?.length ?? 0), 0),
        userAssignedIdentities: seed.userAssignedIdentities.length,
        systemAssignedIdentities: seed.resources.filter((r) => r.identity?.type.startsWith('SystemAssigned')).length,
        resources: seed.resources.length,
        roleAssignments: seed.roleAssignments.length,
        customRoles: seed.roleDefinitions.length,
        users: seed.users.length,
        groups: seed.groups.length,
        applicationServicePrincipals: seed.servicePrincipals.filter((p) => p.servicePrincipalType === 'Application').length,
        appRoleAssignments: seed.appRoleAssignments.length,
        directoryRoleAssignments: seed.directoryRoleAssignments.length,
      },
      expectedFindings: { ...this.expected },
      remediationBlocked: { ...this.remediationBlocked },
      nearMisses: { ...this.nearMisses },
    };
  }
}

/** The subscription or management group whose role-assignment limit a scope counts against. */
function containerOf(scope: string): { name: string; limit: number } | undefined {
  const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1];
  if (subscriptionId) return { name: `subscription ${subscriptionId}`, limit: MAX_ASSIGNMENTS_PER_SUBSCRIPTION };
  const managementGroup = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)$/i.exec(scope)?.[1];
  return managementGroup ? { name: `management group ${managementGroup}`, limit: MAX_ASSIGNMENTS_PER_MANAGEMENT_GROUP } : undefined;
}

/** Anything that can hold a role: an identity plan, a person, a group, an application or a gone principal. */
interface Principal {
  principalId: string;
  principalType?: 'User' | 'Group' | 'ServicePrincipal';
  /** Where its ordinary roles go; absent for principals that only hold planted assignments. */
  subscription?: SubscriptionPlan;
  createdAt?: number;
}

