/** Loads the gRPC service definitions shared with agents and other managers. */
import type * as grpc from '@grpc/grpc-js';
import { loadService } from '../lib/proto.js';

export const loadDispatcherService = (): grpc.ServiceDefinition => loadService('dispatcher.proto', ['swarm', 'dispatcher', 'v1', 'Dispatcher']).service;
export const loadHealthClient = (): grpc.ServiceClientConstructor => loadService('health.proto', ['swarm', 'health', 'v1', 'Health']);

export interface SessionRequest { description_json: string; session_id: string; node_id: string }
export interface SessionMessage { session_id: string; node_json: string; managers: Array<{ node_id: string; addr: string; weight: number }> }
export interface HeartbeatRequest { session_id: string }
export interface HeartbeatResponse { period_ms: number }
export interface TaskStatusUpdate { task_id: string; status_json: string }
export interface UpdateTaskStatusRequest { session_id: string; updates: TaskStatusUpdate[] }
export interface AssignmentsRequest { session_id: string }
export interface AssignmentChange { action: 'UPDATE' | 'REMOVE'; task_id: string; task_json: string }
export interface AssignmentsMessage { type: 'COMPLETE' | 'INCREMENTAL'; applies_to: number; results_in: number; changes: AssignmentChange[] }
export interface ReportRequest { session_id: string; seq: number; heartbeat: boolean; updates: TaskStatusUpdate[] }
export interface ReportResponse { seq: number; period_ms?: number; code?: number; error?: string }
