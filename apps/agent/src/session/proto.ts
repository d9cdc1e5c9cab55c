/** The Dispatcher service from @swarm/shared's dispatcher.proto, loaded at runtime. */
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_PATH = createRequire(import.meta.url).resolve('@swarm/shared/proto/dispatcher.proto');

export interface SessionRequest {
  descriptionJson: string;
  sessionId: string;
  nodeId: string;
}
export interface WeightedPeer {
  nodeId: string;
  addr: string;
  weight: number;
}
export interface SessionMessage {
  sessionId: string;
  nodeJson: string;
  managers: WeightedPeer[];
}
export interface HeartbeatRequest {
  sessionId: string;
}
export interface HeartbeatResponse {
  periodMs: number;
}
export interface TaskStatusUpdateMsg {
  taskId: string;
  statusJson: string;
}
export interface UpdateTaskStatusRequest {
  sessionId: string;
  updates: TaskStatusUpdateMsg[];
}
export interface AssignmentsRequest {
  sessionId: string;
}
export interface AssignmentChange {
  action: 'UPDATE' | 'REMOVE';
  taskId: string;
  taskJson: string;
}
export interface AssignmentsMessage {
  type: 'COMPLETE' | 'INCREMENTAL';
  appliesTo: number;
  resultsIn: number;
  changes: AssignmentChange[];
}

export interface ReportRequest {
  sessionId: string;
  seq: number;
  heartbeat: boolean;
  updates: TaskStatusUpdateMsg[];
}
export interface ReportResponse {
  seq: number;
  periodMs: number;
  /** Non-zero: refused with this gRPC status code. */
  code: number;
  error: string;
}

type Unary<Req, Res> = (req: Req, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res?: Res) => void) => grpc.ClientUnaryCall;

export interface DispatcherClient extends grpc.Client {
  Session(req: SessionRequest, opts?: grpc.CallOptions): grpc.ClientReadableStream<SessionMessage>;
  Heartbeat: Unary<HeartbeatRequest, HeartbeatResponse>;
  UpdateTaskStatus: Unary<UpdateTaskStatusRequest, Record<string, never>>;
  Assignments(req: AssignmentsRequest, opts?: grpc.CallOptions): grpc.ClientReadableStream<AssignmentsMessage>;
  Report(opts?: grpc.CallOptions): grpc.ClientDuplexStream<ReportRequest, ReportResponse>;
}

export const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

let cached: grpc.GrpcObject | undefined;

/** The loaded package (`swarm.dispatcher.v1`), shared by the client and test servers. */
export function dispatcherPackage(): { Dispatcher: grpc.ServiceClientConstructor } {
  cached ??= grpc.loadPackageDefinition(protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS));
  const swarm = cached['swarm'] as grpc.GrpcObject;
  const dispatcher = swarm['dispatcher'] as grpc.GrpcObject;
  return (dispatcher['v1'] as unknown) as { Dispatcher: grpc.ServiceClientConstructor };
}

export function createDispatcherClient(addr: string, credentials: grpc.ChannelCredentials, options?: grpc.ChannelOptions): DispatcherClient {
  const { Dispatcher } = dispatcherPackage();
  return new Dispatcher(addr, credentials, options) as unknown as DispatcherClient;
}
