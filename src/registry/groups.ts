import type { RootDatabase } from 'lmdb';
import { K, range } from './keys.ts';
import { createTable, type Table } from './table.ts';

/** A shared Jump Group. Personal groups are implicit: `user:<username>`, one per user. */
export interface JumpGroup {
  id: number;
  name: string;
  code_name: string;
  comments: string;
  created_at: number;
  updated_at: number;
}

/** A user's membership in a shared group, with the role that says what they may do there. */
export interface Membership {
  group_id: number;
  user_id: number;
  jump_item_role_id: number;
}

export interface Groups extends Table<JumpGroup> {
  byCodeName(codeName: string): JumpGroup | undefined;
  members(groupId: number): Membership[];
  membership(groupId: number, userId: number): Membership | undefined;
  membershipsOf(userId: number): Membership[];
  putMember(m: Membership): void;
  removeMember(groupId: number, userId: number): boolean;
}

export function createGroups(db: RootDatabase): Groups {
  const table = createTable<JumpGroup>(db, 'group', K.group);
  const membership = (groupId: number, userId: number) =>
    db.get(K.member(groupId, userId)) as Membership | undefined;
  const removeMember = (groupId: number, userId: number) => {
    if (!membership(groupId, userId)) return false;
    db.remove(K.member(groupId, userId));
    db.remove(K.memberByUser(userId, groupId));
    return true;
  };
  return {
    ...table,
    byCodeName(codeName) {
      const id = db.get(K.groupByCodeName(codeName)) as number | undefined;
      return id === undefined ? undefined : table.get(id);
    },
    put(row) {
      const previous = table.get(row.id);
      if (previous && previous.code_name.toLowerCase() !== row.code_name.toLowerCase()) {
        db.remove(K.groupByCodeName(previous.code_name));
      }
      db.put(K.groupByCodeName(row.code_name), row.id);
      table.put(row);
    },
    remove(id) {
      const previous = table.get(id);
      if (!previous) return false;
      for (const m of [...db.getRange(range('member', id)).map(({ value }) => value as Membership)]) {
        removeMember(m.group_id, m.user_id);
      }
      db.remove(K.groupByCodeName(previous.code_name));
      return table.remove(id);
    },
    members: (groupId) => [...db.getRange(range('member', groupId)).map(({ value }) => value as Membership)],
    membership,
    membershipsOf: (userId) =>
      [...db.getRange(range('idx:member-user', userId)).map(({ key }) => (key as [string, number, number])[2])]
        .map((groupId) => membership(groupId, userId))
        .filter((m): m is Membership => m !== undefined),
    putMember(m) {
      db.put(K.member(m.group_id, m.user_id), m);
      db.put(K.memberByUser(m.user_id, m.group_id), true);
    },
    removeMember,
  };
}
