/**
 * The cluster's object model, defined once as zod schemas (the source of truth
 * for validation at every boundary) with TypeScript types inferred from them.
 * Every object separates `spec` (user intent) from `status` (observed).
 * Durations are milliseconds; CPU is nano-CPUs (1e9 = one CPU) as in SwarmKit.
 */
import { z } from 'zod';
import { TaskState, isTaskState } from './task-state.js';

export const MetaSchema = z.object({
  /** Store version (commit index) at the last write of this object. */
  version: z.number().int().nonnegative(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Meta = z.infer<typeof MetaSchema>;

const Labels = z.record(z.string(), z.string());

export const AnnotationsSchema = z.object({ name: z.string(), labels: Labels.default({}) });
export type Annotations = z.infer<typeof AnnotationsSchema>;

// ---------------------------------------------------------------- resources
export const ResourcesSchema = z.object({
  nanoCpus: z.number().int().nonnegative().default(0),
  memoryBytes: z.number().int().nonnegative().default(0),
  /** Discrete generic resources, e.g. { gpu: 2 }. */
  generic: z.record(z.string(), z.number().int().nonnegative()).default({}),
});
export type Resources = z.infer<typeof ResourcesSchema>;

// ---------------------------------------------------------------- nodes
export const NodeRole = z.enum(['WORKER', 'MANAGER']);
export type NodeRole = z.infer<typeof NodeRole>;
export const NodeAvailability = z.enum(['ACTIVE', 'PAUSE', 'DRAIN']);
export type NodeAvailability = z.infer<typeof NodeAvailability>;
export const NodeStateName = z.enum(['UNKNOWN', 'DOWN', 'READY', 'DISCONNECTED']);
export type NodeStateName = z.infer<typeof NodeStateName>;

export const NodeSpecSchema = z.object({
  annotations: AnnotationsSchema,
  desiredRole: NodeRole,
  membership: z.enum(['PENDING', 'ACCEPTED']).default('ACCEPTED'),
  availability: NodeAvailability.default('ACTIVE'),
});
export type NodeSpec = z.infer<typeof NodeSpecSchema>;

export const PlatformSchema = z.object({ os: z.string(), architecture: z.string() });
export type Platform = z.infer<typeof PlatformSchema>;

export const NodeDescriptionSchema = z.object({
  hostname: z.string(),
  platform: PlatformSchema,
  resources: ResourcesSchema,
  engine: z.object({
    engineVersion: z.string(),
    labels: Labels.default({}),
    plugins: z.array(z.object({ type: z.string(), name: z.string() })).default([]),
    /** Image references present on the engine; absent when the executor needs no images. */
    images: z.array(z.string()).optional(),
  }),
  /** Which executor runs this node's tasks: docker, process or sim. */
  executor: z.string().default('docker'),
});
export type NodeDescription = z.infer<typeof NodeDescriptionSchema>;

export const NodeSchema = z.object({
  id: z.string(),
  meta: MetaSchema,
  spec: NodeSpecSchema,
  description: NodeDescriptionSchema.optional(),
  status: z.object({ state: NodeStateName, message: z.string().default(''), addr: z.string().default('') }),
  /** Observed role, reconciled from the desired role. */
  role: NodeRole,
  /** A manager's dashboard origin (e.g. http://127.0.0.1:4280): where an open page fails over to. */
  dashboard: z.string().optional(),
  managerStatus: z
    .object({
      raftId: z.string(),
      addr: z.string(),
      leader: z.boolean(),
      reachability: z.enum(['UNKNOWN', 'UNREACHABLE', 'REACHABLE']),
    })
    .optional(),
  /** The node's current certificate, as issued by the cluster CA (no key material). */
  certificate: z
    .object({
      role: NodeRole,
      serial: z.string(),
      notBefore: z.number(),
      notAfter: z.number(),
      /** SHA-256 of the certified public key; a CSR for a key already certified is refused. */
      publicKeyHash: z.string(),
    })
    .optional(),
});
export type Node = z.infer<typeof NodeSchema>;

// ---------------------------------------------------------------- tasks & services
export const RestartPolicySchema = z.object({
  condition: z.enum(['none', 'on-failure', 'any']).default('any'),
  delayMs: z.number().int().nonnegative('restart delay must be 0 or more').default(5000),
  maxAttempts: z.number().int().nonnegative('restart max attempts must be 0 or more').default(0),
  windowMs: z.number().int().nonnegative('restart window must be 0 or more').default(0),
});
export type RestartPolicy = z.infer<typeof RestartPolicySchema>;

export const HealthcheckSchema = z.object({
  test: z.array(z.string()),
  intervalMs: z.number().int().nonnegative().default(0),
  timeoutMs: z.number().int().nonnegative().default(0),
  retries: z.number().int().nonnegative().default(0),
  startPeriodMs: z.number().int().nonnegative().default(0),
});

export const ContainerSpecSchema = z.object({
  image: z.string(),
  command: z.array(z.string()).default([]),
  args: z.array(z.string()).default([]),
  env: z.array(z.string()).default([]),
  labels: Labels.default({}),
  hostname: z.string().optional(),
  dir: z.string().optional(),
  user: z.string().optional(),
  init: z.boolean().optional(),
  stopGracePeriodMs: z.number().int().nonnegative().optional(),
  healthcheck: HealthcheckSchema.optional(),
});
export type ContainerSpec = z.infer<typeof ContainerSpecSchema>;

export const PlacementSchema = z.object({
  constraints: z.array(z.string()).default([]),
  preferences: z.array(z.object({ spread: z.string() })).default([]),
  platforms: z.array(PlatformSchema).default([]),
  maxReplicas: z.number().int().nonnegative().default(0),
});
export type Placement = z.infer<typeof PlacementSchema>;

export const PortConfigSchema = z.object({
  name: z.string().default(''),
  protocol: z.enum(['tcp', 'udp', 'sctp']).default('tcp'),
  targetPort: z.number().int().min(1).max(65535),
  publishedPort: z.number().int().min(0).max(65535).default(0),
  publishMode: z.enum(['ingress', 'host']).default('host'),
});
export type PortConfig = z.infer<typeof PortConfigSchema>;

export const TaskSpecSchema = z.object({
  container: ContainerSpecSchema,
  resources: z
    .object({ limits: ResourcesSchema.default({ nanoCpus: 0, memoryBytes: 0, generic: {} }), reservations: ResourcesSchema.default({ nanoCpus: 0, memoryBytes: 0, generic: {} }) })
    .default({ limits: { nanoCpus: 0, memoryBytes: 0, generic: {} }, reservations: { nanoCpus: 0, memoryBytes: 0, generic: {} } }),
  /** Absent means condition `any` with SwarmKit's defaults. */
  restart: RestartPolicySchema.optional(),
  placement: PlacementSchema.default({ constraints: [], preferences: [], platforms: [], maxReplicas: 0 }),
  /** Bumped to force a redeploy with an otherwise identical spec. */
  forceUpdate: z.number().int().nonnegative().default(0),
});
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

export const ServiceModeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('replicated'), replicas: z.number().int().nonnegative('replicas must be 0 or more') }),
  // Strict: `replicas` (or job counts) with a global mode is an error, not silently dropped.
  z.strictObject({ kind: z.literal('global') }, { error: (i) => (i.code === 'unrecognized_keys' ? `${i.keys.join(', ')} cannot be used with global mode` : undefined) }),
  z.object({
    kind: z.literal('replicated-job'),
    maxConcurrent: z.number().int().nonnegative('max-concurrent must be 0 or more'),
    totalCompletions: z.number().int().nonnegative('total-completions must be 0 or more'),
  }),
  z.strictObject({ kind: z.literal('global-job') }, { error: (i) => (i.code === 'unrecognized_keys' ? `${i.keys.join(', ')} cannot be used with global-job mode` : undefined) }),
]);
export type ServiceMode = z.infer<typeof ServiceModeSchema>;

export const UpdateConfigSchema = z.object({
  parallelism: z.number().int('parallelism must be an integer').nonnegative('parallelism must be 0 or more').default(1),
  delayMs: z.number().int().nonnegative('delay must be 0 or more').default(0),
  failureAction: z.enum(['pause', 'continue', 'rollback']).default('pause'),
  monitorMs: z.number().int().nonnegative('monitor must be 0 or more').default(5000),
  maxFailureRatio: z.number().min(0, 'max failure ratio must be between 0 and 1').max(1, 'max failure ratio must be between 0 and 1').default(0),
  order: z.enum(['stop-first', 'start-first']).default('stop-first'),
});
export type UpdateConfig = z.infer<typeof UpdateConfigSchema>;

export const ServiceSpecSchema = z.object({
  annotations: AnnotationsSchema,
  task: TaskSpecSchema,
  mode: ServiceModeSchema,
  update: UpdateConfigSchema.optional(),
  rollback: UpdateConfigSchema.optional(),
  endpoint: z.object({ ports: z.array(PortConfigSchema).default([]) }).optional(),
});
export type ServiceSpec = z.infer<typeof ServiceSpecSchema>;

export const UpdateStateName = z.enum(['updating', 'paused', 'completed', 'rollback_started', 'rollback_paused', 'rollback_completed']);
export const UpdateStatusSchema = z.object({
  state: UpdateStateName,
  startedAt: z.number().optional(),
  completedAt: z.number().optional(),
  message: z.string().default(''),
});
export type UpdateStatus = z.infer<typeof UpdateStatusSchema>;

export const ServiceSchema = z.object({
  id: z.string(),
  meta: MetaSchema,
  spec: ServiceSpecSchema,
  /** Store version at which the current spec was written; tasks carry it. */
  specVersion: z.number().int().nonnegative(),
  previousSpec: ServiceSpecSchema.optional(),
  previousSpecVersion: z.number().int().nonnegative().optional(),
  updateStatus: UpdateStatusSchema.optional(),
  jobStatus: z.object({ jobIteration: z.number().int().nonnegative(), lastExecution: z.number().optional() }).optional(),
  pendingDelete: z.boolean().optional(),
});
export type Service = z.infer<typeof ServiceSchema>;

export const TaskStateSchema = z.number().int().refine(isTaskState, 'not a task state') as unknown as z.ZodType<TaskState>;

export const TaskStatusSchema = z.object({
  timestamp: z.number(),
  state: TaskStateSchema,
  message: z.string().default(''),
  err: z.string().optional(),
  container: z
    .object({ containerId: z.string().default(''), pid: z.number().int().default(0), exitCode: z.number().int().optional() })
    .optional(),
  /** Node ID of the manager that applied this status, and when. */
  appliedBy: z.string().optional(),
  appliedAt: z.number().optional(),
});
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

export const TaskSchema = z.object({
  id: z.string(),
  meta: MetaSchema,
  spec: TaskSpecSchema,
  specVersion: z.number().int().nonnegative(),
  serviceId: z.string(),
  /** Replicated: 1..n. Global: 0 (the node identifies the task). Jobs: 0.. */
  slot: z.number().int().nonnegative(),
  nodeId: z.string().optional(),
  annotations: AnnotationsSchema,
  serviceAnnotations: AnnotationsSchema,
  status: TaskStatusSchema,
  desiredState: TaskStateSchema,
  jobIteration: z.number().int().nonnegative().optional(),
  /** A replacement held at desired READY is started (desired RUNNING) no earlier than this (restart delay). */
  startAfter: z.number().optional(),
  /** Manager time at which the task was first reported RUNNING (update monitor window). */
  runningAt: z.number().optional(),
  endpoint: z.object({ ports: z.array(PortConfigSchema).default([]) }).optional(),
});
export type Task = z.infer<typeof TaskSchema>;

// ---------------------------------------------------------------- cluster
export const ClusterSpecSchema = z.object({
  annotations: AnnotationsSchema,
  orchestration: z.object({ taskHistoryRetentionLimit: z.number().int().default(5) }),
  /** Our default is 1 s (SwarmKit: 5 s), grace ×5; a killed node is DOWN within ~1.5 s; see apps/manager/src/orchestrator/README.md. */
  dispatcher: z.object({
    heartbeatPeriodMs: z.number().int().positive().default(1000),
    /** Cap on the fleet's heartbeats per second: the period stretches to nodes ÷ this (default 100; apps/manager/src/dispatcher/heartbeat.ts). */
    maxHeartbeatsPerSecond: z.number().positive().optional(),
  }),
  caConfig: z.object({ nodeCertExpiryMs: z.number().int().positive().default(2160 * 3600_000) }),
  raft: z.object({
    snapshotInterval: z.number().int().positive().default(10000),
    logEntriesForSlowFollowers: z.number().int().nonnegative().default(500),
    heartbeatTick: z.number().int().positive().default(1),
    electionTick: z.number().int().positive().default(10),
  }),
});
export type ClusterSpec = z.infer<typeof ClusterSpecSchema>;

export const ClusterSchema = z.object({
  id: z.string(),
  meta: MetaSchema,
  spec: ClusterSpecSchema,
  rootCa: z
    .object({
      caCert: z.string(),
      /** Only managers hold the key; redacted on API reads. */
      caKey: z.string().optional(),
      caCertHash: z.string(),
      joinTokens: z.object({ worker: z.string(), manager: z.string() }),
    })
    .optional(),
  /** Removed nodes whose certificates are refused, with when the entry may be dropped (cert expiry + 7 days). */
  denyList: z.record(z.string(), z.number()).optional(),
  /** Dashboard and HTTP API credentials. Secret material only as hashes; never leaves the managers (redacted on reads). */
  auth: z
    .object({
      /** HMAC key for session cookies (hex); any manager can check any session. */
      sessionKey: z.string(),
      users: z.array(z.object({ name: z.string(), passwordHash: z.string(), createdAt: z.number() })).default([]),
      apiTokens: z.array(z.object({ id: z.string(), name: z.string(), hash: z.string(), createdAt: z.number(), createdBy: z.string() })).default([]),
      /** One-time first-admin setup link, while no user exists. */
      setup: z.object({ tokenHash: z.string(), expiresAt: z.number() }).optional(),
    })
    .optional(),
});
export type Cluster = z.infer<typeof ClusterSchema>;

export const TaskStateValues = TaskState;
