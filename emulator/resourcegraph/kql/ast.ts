import type { Position } from './errors.ts';

/** The syntax tree of the KQL subset the emulator's Resource Graph understands. */

export type Expr =
  | { kind: 'literal'; value: string | number | boolean; position: Position }
  | { kind: 'column'; name: string; position: Position }
  /** `a.b`, `a['b']`, `a[0]`: property or element access on a dynamic value. */
  | { kind: 'member'; target: Expr; key: string | number; position: Position }
  | { kind: 'call'; name: string; args: Expr[]; position: Position }
  | { kind: 'logical'; op: 'and' | 'or'; left: Expr; right: Expr; position: Position }
  | { kind: 'compare'; op: string; left: Expr; right: Expr; position: Position }
  | { kind: 'in'; op: 'in' | 'in~' | '!in' | '!in~'; left: Expr; items: Expr[]; position: Position };

/** `name = expr`, or a bare expression named as KQL derives it (`properties.x` → `properties_x`). */
export interface NamedExpr {
  name: string;
  expr: Expr;
  position: Position;
}

export interface SortKey {
  expr: Expr;
  descending: boolean;
  nullsFirst: boolean;
}

export type Operator =
  | { kind: 'where'; predicate: Expr; position: Position }
  | { kind: 'project'; items: NamedExpr[]; position: Position }
  | { kind: 'extend'; items: NamedExpr[]; position: Position }
  | { kind: 'mv-expand'; item: NamedExpr; position: Position }
  | { kind: 'order'; keys: SortKey[]; position: Position }
  | { kind: 'limit'; count: number; position: Position }
  | { kind: 'summarize'; aggregates: { name: string; position: Position }[]; by: NamedExpr[]; position: Position }
  | { kind: 'count'; position: Position };

export interface Query {
  table: { name: string; position: Position };
  operators: Operator[];
}
