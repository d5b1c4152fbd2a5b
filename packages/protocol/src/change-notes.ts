import { z } from 'zod';

/**
 * y-websocket message type of a change note: right after sending an update, the client says how
 * that edit was made (typed, pasted, spread…), so the cell history can tell "spread by current
 * values" from "typed". The frame is the message type as a varUint followed by the note's JSON as
 * a varString (lib0 encoding, like the rest of the protocol). y-websocket uses 0–3; this extension
 * sits well above them. The server attaches a note to the last update the same socket sent, if
 * that one has no note yet, and drops it otherwise; edits that come without a note (the official
 * y-websocket client, offline edits sent on reconnect) read "edited" in the history.
 */
export const CHANGE_NOTE_MESSAGE = 100;

/** How a change to the plan was made; client edits use the first group, the server the rest. */
export const CHANGE_KINDS = [
  'typed',
  'pasted',
  'filled',
  'adjusted',
  'spread',
  'held',
  'undone',
  'redone',
  'edited',
  'import',
  'baseline',
  'baseline-restore',
  'merge',
  'cycle',
  'decision',
  'snapshot',
  'plan-setup',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** The kinds a client may claim for its own edit (the rest are the server's). */
export const CLIENT_CHANGE_KINDS = ['typed', 'pasted', 'filled', 'adjusted', 'spread', 'held', 'undone', 'redone'] as const;

/** The body of a change note frame (JSON after the message type): what a person reads in the history. */
export const ChangeNote = z.object({
  kind: z.enum(CLIENT_CHANGE_KINDS),
  /** One line in planner words, e.g. "Sparkling Water · Sales forecast · Apr–Jun 27: 30,000 → 31,500, spread by current values". */
  summary: z.string().trim().max(300).default(''),
});
export type ChangeNote = z.infer<typeof ChangeNote>;
