import type { Role } from '@accord/protocol';
import { defaultLayers, isLayerId, type LayerId } from './layers.ts';

/** A remembered view setting, or `fallback` when none is stored or storage is unavailable. */
export function loadJson<T>(key: string, fallback: T): T {
  try {
    const text = localStorage.getItem(key);
    return text === null ? fallback : (JSON.parse(text) as T);
  } catch {
    return fallback;
  }
}

/** Remembers a view setting in this browser. */
export function saveJson(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or a full quota: the view still works, it just is not remembered.
  }
}

/** Where the layers a role looks at are remembered: per role, since finance plans other rows than sales. */
export const layersKey = (role: Role) => `accord:grid:layers:${role}`;

/** Which families are collapsed, per plan (or scenario). */
export const collapsedKey = (storageKey: string) => `accord:grid:collapsed:${storageKey}`;

/** How many history buckets are shown (3 by default: six horizon months fit a 1280 px screen). */
export const HISTORY_KEY = 'accord:grid:history';
export const DEFAULT_HISTORY = 3;

/** The layers a role sees: remembered, else the role's defaults. */
export function loadLayers(role: Role): Set<LayerId> {
  return new Set(loadJson<string[]>(layersKey(role), [...defaultLayers(role)]).filter(isLayerId));
}
