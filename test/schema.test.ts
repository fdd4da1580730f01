import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSchema, printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.ts';
import { compareWithContract } from './support/contract.ts';
import { CONTRACT_GAPS } from './support/contract-gaps.ts';

const read = (relative: string) =>
  readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8');

describe('schema.graphql', () => {
  it('is what the code prints (run `npm run schema:print` after changing the schema)', () => {
    expect(read('../schema.graphql')).toBe(`${printSchema(schema)}\n`);
  });
});

describe('the public contract (test/contract/schema.graphql, a copy CI compares with ../shared)', () => {
  const contract = buildSchema(read('./contract/schema.graphql'));

  it('implements every type and field of the contract, agreeing on every argument and enum value, but for the gaps listed with their issues', () => {
    const { mismatches, missing } = compareWithContract(schema, contract);
    expect([...missing, ...mismatches].sort()).toEqual(Object.keys(CONTRACT_GAPS).sort());
  });

  it('is compared strictly enough to catch a breaking change', () => {
    const changed = buildSchema(`
      enum Role { ADMIN OWNER }
      type Plan { id: ID! key: String trialDays: Int! }
      type Query {
        plan(key: String!, version: Int!): Plan
        organizations(first: Int = 50, after: String): Int
      }
    `);
    const theirs = buildSchema(`
      enum Role { ADMIN OWNER VIEWER }
      type Plan { id: ID! key: String! trialDays: Int! name: String! }
      type Query {
        plan(key: String!): Plan
        organizations(first: Int = 20, after: String): Int
      }
    `);
    const { mismatches, missing } = compareWithContract(changed, theirs);
    expect(mismatches.sort()).toEqual(
      [
        'Role.VIEWER enum value is missing',
        'Plan.key: type String here, String! in the contract',
        'Query.plan(version) is a new required argument',
        'Query.organizations(first): default 50 here, 20 in the contract',
      ].sort(),
    );
    expect(missing).toEqual(['Plan.name']);
  });
});
