import {
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLNamedType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isUnionType,
} from 'graphql';

export interface ContractComparison {
  /** Things present in both that disagree: these break generated clients. */
  mismatches: string[];
  /** Contract types and fields the server does not implement (yet). */
  missing: string[];
}

/**
 * Compares the server's schema with the public contract: every type, field, argument, enum value,
 * union member and interface present in both must agree on name, type, nullability and argument
 * default. Additions on the server's side are welcome; a new required argument is not.
 */
export function compareWithContract(
  ours: GraphQLSchema,
  contract: GraphQLSchema,
): ContractComparison {
  const mismatches: string[] = [];
  const missing: string[] = [];

  for (const theirs of Object.values(contract.getTypeMap())) {
    if (theirs.name.startsWith('__')) continue;
    const mine = ours.getType(theirs.name);
    if (!mine) {
      missing.push(theirs.name);
      continue;
    }
    if (kindOf(mine) !== kindOf(theirs)) {
      mismatches.push(`${theirs.name}: ${kindOf(mine)} here, ${kindOf(theirs)} in the contract`);
      continue;
    }
    if (
      (isObjectType(theirs) || isInterfaceType(theirs)) &&
      (isObjectType(mine) || isInterfaceType(mine))
    ) {
      const myInterfaces = new Set(mine.getInterfaces().map((i) => i.name));
      for (const iface of theirs.getInterfaces()) {
        if (!myInterfaces.has(iface.name))
          mismatches.push(`${theirs.name} does not implement ${iface.name}`);
      }
      const myFields = mine.getFields();
      for (const field of Object.values(theirs.getFields())) {
        const myField = myFields[field.name];
        if (!myField) {
          missing.push(`${theirs.name}.${field.name}`);
          continue;
        }
        compareField(`${theirs.name}.${field.name}`, myField, field, mismatches);
      }
    }
    if (isInputObjectType(theirs) && isInputObjectType(mine)) {
      const myFields = mine.getFields();
      for (const field of Object.values(theirs.getFields())) {
        const myField = myFields[field.name];
        if (!myField) mismatches.push(`${theirs.name}.${field.name} is missing from the input`);
        else compareInput(`${theirs.name}.${field.name}`, myField, field, mismatches);
      }
      for (const field of Object.values(myFields)) {
        if (
          !theirs.getFields()[field.name] &&
          String(field.type).endsWith('!') &&
          field.defaultValue === undefined
        ) {
          mismatches.push(`${theirs.name}.${field.name} is a new required input field`);
        }
      }
    }
    if (isEnumType(theirs) && isEnumType(mine)) {
      const myValues = new Set(mine.getValues().map((v) => v.name));
      for (const value of theirs.getValues()) {
        if (!myValues.has(value.name))
          mismatches.push(`${theirs.name}.${value.name} enum value is missing`);
      }
    }
    if (isUnionType(theirs) && isUnionType(mine)) {
      const myMembers = new Set(mine.getTypes().map((t) => t.name));
      for (const member of theirs.getTypes()) {
        if (!myMembers.has(member.name))
          mismatches.push(`${theirs.name} lacks the member ${member.name}`);
      }
    }
  }
  return { mismatches, missing };
}

function compareField(
  where: string,
  mine: GraphQLField<unknown, unknown>,
  theirs: GraphQLField<unknown, unknown>,
  mismatches: string[],
) {
  if (String(mine.type) !== String(theirs.type)) {
    mismatches.push(`${where}: type ${mine.type} here, ${theirs.type} in the contract`);
  }
  const myArgs = new Map(mine.args.map((a) => [a.name, a]));
  for (const arg of theirs.args) {
    const myArg = myArgs.get(arg.name);
    if (!myArg) mismatches.push(`${where}(${arg.name}) argument is missing`);
    else compareInput(`${where}(${arg.name})`, myArg, arg, mismatches);
  }
  for (const arg of mine.args) {
    if (
      !theirs.args.some((a) => a.name === arg.name) &&
      String(arg.type).endsWith('!') &&
      arg.defaultValue === undefined
    ) {
      mismatches.push(`${where}(${arg.name}) is a new required argument`);
    }
  }
}

function compareInput(
  where: string,
  mine: GraphQLArgument | GraphQLInputField,
  theirs: GraphQLArgument | GraphQLInputField,
  mismatches: string[],
) {
  if (String(mine.type) !== String(theirs.type)) {
    mismatches.push(`${where}: type ${mine.type} here, ${theirs.type} in the contract`);
  }
  if (JSON.stringify(mine.defaultValue) !== JSON.stringify(theirs.defaultValue)) {
    mismatches.push(
      `${where}: default ${JSON.stringify(mine.defaultValue)} here, ${JSON.stringify(theirs.defaultValue)} in the contract`,
    );
  }
}

function kindOf(type: GraphQLNamedType): string {
  return type.constructor.name;
}
