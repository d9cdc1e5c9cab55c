/** The manager-only Health service: answers SERVING to manager certificates, refuses everyone else. */
import type * as grpc from '@grpc/grpc-js';
import { requireNode } from './authz.js';
import type { TrustState } from './trust.js';

export function createHealthService(trust: () => TrustState): grpc.UntypedServiceImplementation {
  return {
    Check(call: grpc.ServerUnaryCall<{ service: string }, object>, cb: grpc.sendUnaryData<{ status: string }>) {
      try {
        requireNode(call, trust(), ['MANAGER']);
        cb(null, { status: 'SERVING' });
      } catch (e) {
        cb(e as grpc.ServiceError);
      }
    },
  };
}
