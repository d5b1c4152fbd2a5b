import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import { CHANGE_NOTE_MESSAGE } from '@accord/protocol';
import { decodeClientMessage } from './protocol.ts';

function noteFrame(json: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, CHANGE_NOTE_MESSAGE);
  encoding.writeVarString(encoder, json);
  return encoding.toUint8Array(encoder);
}

describe('change note frames', () => {
  it('decodes a note a client sends after its update', () => {
    const message = decodeClientMessage(
      noteFrame(JSON.stringify({ kind: 'spread', summary: 'Sparkling Water · Sales forecast · Q2 +5%' })),
    );
    expect(message).toEqual({ type: 'changeNote', note: { kind: 'spread', summary: 'Sparkling Water · Sales forecast · Q2 +5%' } });
  });
  it('refuses a note that claims a server kind, is not JSON or is too long', () => {
    expect(() => decodeClientMessage(noteFrame(JSON.stringify({ kind: 'import' })))).toThrow(/malformed change note/);
    expect(() => decodeClientMessage(noteFrame('{'))).toThrow();
    expect(() => decodeClientMessage(noteFrame(JSON.stringify({ kind: 'typed', summary: 'x'.repeat(301) })))).toThrow(
      /malformed change note/,
    );
  });
});
