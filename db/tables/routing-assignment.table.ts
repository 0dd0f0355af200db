import type { ColumnType, Insertable, Selectable } from 'kysely';

/** The owner chosen for one assignment (`lead:cycle:stage:assignment`); the first stored answer wins. */
export interface RoutingAssignmentTable {
  assignmentKey: string;
  owner: string;
  assignedAt: ColumnType<Date, string | undefined, never>;
}

export type RoutingAssignmentRow = Selectable<RoutingAssignmentTable>;
export type NewRoutingAssignmentRow = Insertable<RoutingAssignmentTable>;
