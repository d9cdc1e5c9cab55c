/** Loads the Dispatcher service definition shared with agents. */
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);

export function loadDispatcherService(): grpc.ServiceDefinition {
  const file = require.resolve('@swarm/shared/proto/dispatcher.proto');
  const def = protoLoader.loadSync(file, { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    swarm: { dispatcher: { v1: { Dispatcher: grpc.ServiceClientConstructor } } };
  };
  return pkg.swarm.dispatcher.v1.Dispatcher.service;
}

export interface SessionRequest { description_json: string; session_id: string; node_id: string }
export interface SessionMessage { session_id: string; node_json: string; managers: Array<{ node_id: string; addr: string; weight: number }> }
export interface HeartbeatRequest { session_id: string }
export interface HeartbeatResponse { period_ms: number }
export interface TaskStatusUpdate { task_id: string; status_json: string }
export interface UpdateTaskStatusRequest { session_id: string; updates: TaskStatusUpdate[] }
export interface AssignmentsRequest { session_id: string }
export interface AssignmentChange { action: 'UPDATE' | 'REMOVE'; task_id: string; task_json: string }
export interface AssignmentsMessage { type: 'COMPLETE' | 'INCREMENTAL'; applies_to: number; results_in: number; changes: AssignmentChange[] }
