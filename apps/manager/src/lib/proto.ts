/** Loads a gRPC service from the shared .proto files (packages/shared/proto). */
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
const cache = new Map<string, grpc.ServiceClientConstructor>();

export function loadService(file: string, path: string[]): grpc.ServiceClientConstructor {
  const key = `${file}:${path.join('.')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const def = protoLoader.loadSync(require.resolve(`@swarm/shared/proto/${file}`), { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
  let obj: unknown = grpc.loadPackageDefinition(def);
  for (const p of path) obj = (obj as Record<string, unknown>)[p];
  cache.set(key, obj as grpc.ServiceClientConstructor);
  return obj as grpc.ServiceClientConstructor;
}
