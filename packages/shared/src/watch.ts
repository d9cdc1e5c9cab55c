import type { CommitEvent, StoreSnapshot } from './events.js';

/**
 * What the live stream yields. A fresh subscriber (or one whose cursor was
 * compacted away) first gets a snapshot, then one `commit` per transaction.
 */
export type WatchMessage = { kind: 'snapshot'; snapshot: StoreSnapshot } | { kind: 'commit'; event: CommitEvent };
