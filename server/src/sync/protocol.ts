import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { CHANGE_NOTE_MESSAGE, ChangeNote } from '@accord/protocol';

// Message types of the y-websocket protocol (y-websocket's own server uses the same numbers).
export const MessageType = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3 } as const;

/** A decoded client frame. */
export type ClientMessage =
  | { type: 'syncStep1'; stateVector: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'queryAwareness' }
  | { type: 'changeNote'; note: ChangeNote };

/** Decodes one frame; throws on anything that is not a well-formed y-websocket message. */
export function decodeClientMessage(frame: Uint8Array): ClientMessage {
  const decoder = decoding.createDecoder(frame);
  const messageType = decoding.readVarUint(decoder);
  let message: ClientMessage;
  switch (messageType) {
    case MessageType.sync: {
      const syncType = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (syncType === syncProtocol.messageYjsSyncStep1) {
        // Decoded here so a malformed one is refused like any malformed frame, not met later.
        Y.decodeStateVector(payload);
        message = { type: 'syncStep1', stateVector: payload };
      } else if (syncType === syncProtocol.messageYjsSyncStep2 || syncType === syncProtocol.messageYjsUpdate) {
        message = { type: 'update', update: payload };
      } else throw new Error(`unknown sync message type ${syncType}`);
      break;
    }
    case MessageType.awareness:
      message = { type: 'awareness', update: decoding.readVarUint8Array(decoder) };
      break;
    case MessageType.queryAwareness:
      message = { type: 'queryAwareness' };
      break;
    case CHANGE_NOTE_MESSAGE: {
      const parsed = ChangeNote.safeParse(JSON.parse(decoding.readVarString(decoder)));
      if (!parsed.success) throw new Error(`malformed change note: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      message = { type: 'changeNote', note: parsed.data };
      break;
    }
    default:
      throw new Error(`unknown message type ${messageType}`);
  }
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes after message');
  return message;
}

export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.sync);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep1);
  encoding.writeVarUint8Array(encoder, stateVector);
  return encoding.toUint8Array(encoder);
}

export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.sync);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

export function encodeUpdate(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.sync);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsUpdate);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

export function encodeAwareness(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MessageType.awareness);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

/**
 * An awareness message with no entries: the server sends it to every socket every 15 s. The
 * y-websocket client closes and reopens a connection that brought no message for 30 s (pings do
 * not count), and the server does not echo a client's own edits back to it, so a lone editor (or a
 * script that publishes no presence) would otherwise reconnect every 30 s. Clients apply it as
 * "nothing changed".
 */
export const HEARTBEAT: Uint8Array = encodeAwareness(new Uint8Array([0]));

/** One entry of an awareness update: a client's presence (null = gone) and its clock. */
export interface AwarenessEntry {
  clientId: number;
  clock: number;
  state: unknown;
}

/** The entries of an awareness update: client id, clock and the parsed state (null = gone). */
export function decodeAwarenessEntries(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state: unknown = JSON.parse(decoding.readVarString(decoder));
    entries.push({ clientId, clock, state });
  }
  return entries;
}

/** An awareness update of these entries (y-protocols' layout), e.g. a message with some entries left out. */
export function encodeAwarenessEntries(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const { clientId, clock, state } of entries) {
    encoding.writeVarUint(encoder, clientId);
    encoding.writeVarUint(encoder, clock);
    encoding.writeVarString(encoder, JSON.stringify(state));
  }
  return encoding.toUint8Array(encoder);
}
