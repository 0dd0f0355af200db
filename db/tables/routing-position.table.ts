import type { ColumnType, Insertable, Selectable } from 'kysely';

/** The round-robin position of one routing pool (`territory:…|segment:…`), advanced atomically. */
export interface RoutingPositionTable {
  poolKey: string;
  /** bigint: the driver may hand it back as a string or a bigint; read it through Number(). */
  position: ColumnType<number | string | bigint, number, number>;
}

export type RoutingPositionRow = Selectable<RoutingPositionTable>;
export type NewRoutingPositionRow = Insertable<RoutingPositionTable>;
