import type { ColumnType, Insertable, Selectable } from 'kysely';

/**
 * The round-robin rotation of one routing pool (`territory:…|segment:…`): the rep it last gave a lead
 * to. The row is locked for each step of the rotation (databaseRoutingStore.rotate).
 */
export interface RoutingPositionTable {
  poolKey: string;
  /**
   * The counter of the previous release (a position modulo the eligible list), no longer read or
   * written; kept for that release's workers during a rolling deploy. Defaults to 0 on insert.
   */
  position: ColumnType<number | string | bigint, number | undefined, number>;
  /** The rep the pool's last round-robin lead went to; null before the first one. */
  lastOwner: string | null;
}

export type RoutingPositionRow = Selectable<RoutingPositionTable>;
export type NewRoutingPositionRow = Insertable<RoutingPositionTable>;
