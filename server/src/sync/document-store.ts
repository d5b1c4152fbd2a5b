import type { ChangeKind } from '@accord/protocol';

/** One stored update of a document and its place in the document's sequence. */
export interface StoredUpdate {
  seq: number;
  data: Uint8Array;
}

/** What is stored of one document: the compacted state and the updates accepted after it. */
export interface StoredDocument {
  state: Uint8Array | undefined;
  /** The state includes every update up to this sequence number. */
  stateSeq: number;
  /** Updates after the state, in sequence order (no gaps). */
  updates: StoredUpdate[];
  /** The document's last sequence number. */
  seq: number;
  /** Client id → the user whose edits brought it (ids the server wrote under are absent). */
  clients: Map<number, string>;
}

/** One changed cell of an update; null is an empty cell. */
export interface CellChange {
  root: string;
  key: string;
  oldValue: number | null;
  newValue: number | null;
}

/** An accepted change to store: the update bytes and what it means to people. */
export interface AppendRequest {
  documentId: string;
  update: Uint8Array;
  /** The sequence number the document is at for the caller: the update becomes `afterSeq + 1`. */
  afterSeq: number;
  /** Whose change it is (null: the server's own, e.g. a migration). */
  userId: string | null;
  at: string;
  kind: ChangeKind;
  summary: string;
  cells: readonly CellChange[];
  /** Client ids this update writes under for the first time, recorded as `userId`'s. */
  newClients: readonly number[];
}

/**
 * Thrown by `append` when the document moved past `afterSeq` (another instance appended first):
 * the caller catches up from the store and judges its update again.
 */
export class SequenceConflictError extends Error {
  override name = 'SequenceConflictError';
  constructor(documentId: string, afterSeq: number) {
    super(`document ${documentId} is past sequence ${afterSeq}`);
  }
}

/**
 * Where plan documents are stored (DESIGN.md §4): an append-only log of accepted updates with a
 * per-document, gap-free sequence, compacted into one state blob now and then. Each append commits
 * the update, its change record, its cell history and any client ids it claims in one
 * transaction, before anyone is sent the update.
 */
export interface DocumentStore {
  /** The state and the updates after it (one consistent read), with the client id owners. */
  load(documentId: string): Promise<StoredDocument>;
  /** Client id → the user whose edits brought it, as `load` gives them, without the document. */
  clientOwners(documentId: string): Promise<Map<number, string>>;
  /** Stores an accepted change; resolves with its sequence number once committed. */
  append(request: AppendRequest): Promise<number>;
  /**
   * Runs `build` while nothing else can append to the document (other instances wait), handing it
   * the updates stored after `afterSeq`, which the caller applies before making its change; stores
   * the request `build` returns in the same commit and resolves with its sequence number, or with
   * undefined when `build` returns nothing. For server changes, which cannot be judged again.
   */
  appendExclusive(
    documentId: string,
    afterSeq: number,
    build: (missed: StoredUpdate[]) => Omit<AppendRequest, 'afterSeq'> | undefined,
  ): Promise<number | undefined>;
  /**
   * Says how a stored change was made (a client's change note): only a change still marked
   * `edited` is annotated. Resolves false when there is no such change.
   */
  annotate(documentId: string, seq: number, note: { kind: ChangeKind; summary: string }): Promise<boolean>;
  /** The updates after `seq` in order, or undefined when some of them were compacted away. */
  updatesAfter(documentId: string, seq: number): Promise<StoredUpdate[] | undefined>;
  /** Replaces the state with `state`, which includes every update through `throughSeq`, and drops those. */
  compact(documentId: string, state: Uint8Array, throughSeq: number, updatedAt: string): Promise<void>;
  /**
   * Folds the updates through `throughSeq` into the state off the event loop; resolves true when
   * swapped in. Null when this store cannot (use `compact`).
   */
  compactInBackground(documentId: string, throughSeq: number): Promise<boolean> | null;
}
