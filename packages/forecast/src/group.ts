import { forecast, type ForecastOptions, type ForecastResult } from './forecast.ts';
import { pooledProfile, type PooledProfile, POOLED_PROFILE_LEVEL } from './seasonal-profile.ts';

/** One series of a group forecast: its values, where it starts on the common time axis, its group. */
export interface GroupSeries {
  values: readonly number[];
  /** Index of `values[0]` on the common time axis (e.g. months since the plan's first history month). */
  start: number;
  /** The group it belongs to (e.g. its product family); undefined for none. */
  group?: string | undefined;
}

/** Options of {@link forecastGroup}: those of `forecast`, with the season position of axis index 0. */
export interface GroupForecastOptions extends Omit<ForecastOptions, 'seasonPosition' | 'pooledProfile' | 'pooledProfileForHoldOut'> {
  /** Season position of the common axis' index 0 (e.g. its month of the year − 1); default 0. */
  seasonPosition?: number;
  /** Significance level of the pooled profiles' test; default {@link POOLED_PROFILE_LEVEL}. */
  profileLevel?: number;
  /** Called after each series is forecast with the number done, e.g. to report progress. */
  onProgress?: (done: number) => void;
}

/** Whose pooled profile a series could borrow, with its test. */
export interface PooledSource {
  /** `group`: the series' own group; `all`: every series of the call (the whole plan). */
  from: 'group' | 'all';
  profile: PooledProfile;
}

/** A series' forecast with the pooled profile it was offered (null: none was significant). */
export interface GroupForecast extends ForecastResult {
  pooled: PooledSource | null;
}

/** The pooled profiles a group forecast estimated: per group (undefined: too few members to tell) and for all. */
export interface GroupProfiles {
  groups: Map<string, PooledProfile | undefined>;
  all: PooledProfile | undefined;
}

/**
 * Forecasts many series that come in groups (SKUs in families) with group seasonal indices: each group's profile
 * is estimated on its aggregate (`pooledProfile`) and offered to its members when significant there; a series
 * whose group has fewer than two members with two seasons of history is offered the profile of all series
 * instead, when that one is significant. A group whose profile is assessable but not significant offers none
 * (its members are not made seasonal by other groups). What a member does with the offer is `forecast`'s rule:
 * with fewer than three seasons it shrinks its own estimate towards it; with three or more it keeps whichever
 * forecast its last season better. Results are in input order.
 * @example forecastGroup(skus.map((sku) => ({ values: sku.history, start: 0, group: sku.familyId })), { horizon: 18, seasonLength: 12 })
 */
export function forecastGroup(
  series: readonly GroupSeries[],
  options: GroupForecastOptions,
): { results: GroupForecast[]; profiles: GroupProfiles } {
  const { profileLevel, onProgress, seasonPosition = 0, ...forecastOptions } = options;
  const m = options.seasonLength;
  // The hold-out leaves out what forecast() leaves out: a season, at most the horizon.
  const holdOut = m > 1 ? Math.min(options.horizon, m) : options.horizon;
  const estimate = (members: readonly GroupSeries[], cut: number) =>
    pooledProfile(
      members.map((member) => ({ values: cut > 0 ? member.values.slice(0, -cut) : member.values, start: member.start })),
      { seasonLength: m, seasonPosition, level: profileLevel ?? POOLED_PROFILE_LEVEL },
    );
  const byGroup = new Map<string, GroupSeries[]>();
  for (const item of series) if (item.group !== undefined) byGroup.set(item.group, [...(byGroup.get(item.group) ?? []), item]);
  const groups = new Map<string, PooledProfile | undefined>();
  const forHoldOut = new Map<string, PooledProfile | undefined>();
  for (const [group, members] of byGroup) {
    groups.set(group, estimate(members, 0));
    forHoldOut.set(group, estimate(members, holdOut));
  }
  const all = estimate(series, 0);
  const allForHoldOut = estimate(series, holdOut);

  const results = series.map((item, done): GroupForecast => {
    const ownGroup = item.group === undefined ? undefined : groups.get(item.group);
    let pooled: PooledSource | null = null;
    let profileForHoldOut: PooledProfile | undefined;
    if (ownGroup) {
      if (ownGroup.significant) {
        pooled = { from: 'group', profile: ownGroup };
        profileForHoldOut = item.group === undefined ? undefined : forHoldOut.get(item.group);
      }
    } else if (all?.significant) {
      pooled = { from: 'all', profile: all };
      profileForHoldOut = allForHoldOut;
    }
    const period = Math.max(1, m);
    const single: ForecastOptions = { ...forecastOptions, seasonPosition: (((seasonPosition + item.start) % period) + period) % period };
    if (pooled) {
      single.pooledProfile = pooled.profile.indices;
      // When the group's history without the hold-out is too short for a profile, the whole history's is used.
      single.pooledProfileForHoldOut = (profileForHoldOut ?? pooled.profile).indices;
    }
    const result = { ...forecast(item.values, single), pooled };
    onProgress?.(done + 1);
    return result;
  });
  return { results, profiles: { groups, all } };
}
