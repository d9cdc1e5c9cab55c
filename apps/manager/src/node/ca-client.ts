/** Client side of the NodeCA service (join and renewal). */
import type * as grpc from '@grpc/grpc-js';
import { loadService } from '../lib/proto.js';

const nodeCAClient = () => loadService('ca.proto', ['swarm', 'ca', 'v1', 'NodeCA']);

export function loadNodeCAService(): grpc.ServiceDefinition {
  return nodeCAClient().service;
}

export interface IssueResponse { node_id: string; certificate: string; root_ca: string; role: string; cluster_id: string }

export async function requestCertificate(addr: string, creds: grpc.ChannelCredentials, csr: string, opts: { availability?: string; labels?: Record<string, string>; timeoutMs?: number } = {}): Promise<IssueResponse> {
  const Client = nodeCAClient();
  const client = new Client(addr, creds, { 'grpc.ssl_target_name_override': 'swarm-manager' }) as unknown as grpc.Client & {
    IssueNodeCertificate(req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: IssueResponse) => void): void;
  };
  try {
    return await new Promise<IssueResponse>((resolve, reject) => {
      client.IssueNodeCertificate(
        { csr, availability: opts.availability ?? '', labels: opts.labels ?? {} },
        { deadline: Date.now() + (opts.timeoutMs ?? 10_000) },
        (e: grpc.ServiceError | null, r: IssueResponse) => (e ? reject(e) : resolve(r)),
      );
    });
  } finally {
    client.close();
  }
}
