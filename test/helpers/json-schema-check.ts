// A small JSON Schema checker for the subset the tools publish as their
// outputSchema (type, properties, required, additionalProperties, items,
// anyOf, enum, propertyNames, min/max, maxLength, maxItems), so a test can
// check structuredContent against what tools/list advertises with no library.
// A keyword outside that subset is reported, so the checker never passes
// something it did not understand.

type Schema = Record<string, unknown>;

const KNOWN = new Set([
  'type',
  'description',
  'title',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'enum',
  'const',
  'propertyNames',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'default',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: unknown, t: string): boolean {
  switch (t) {
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
    case 'boolean':
      return typeof v === t;
    default:
      throw new Error(`schema uses an unknown type "${t}"`);
  }
}

/** Every way `value` breaks `schema`, as "path: problem" lines; empty when it conforms. */
export function schemaProblems(schema: unknown, value: unknown, path = '$'): string[] {
  if (schema === true) return [];
  if (schema === false) return [`${path}: no value is allowed here`];
  if (!schema || typeof schema !== 'object') return [`${path}: the schema is not an object`];
  const s = schema as Schema;
  const problems: string[] = [];
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) problems.push(`${path}: the checker does not know keyword "${k}"`);

  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => hasType(value, t))) {
      return [...problems, `${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`];
    }
  }
  if (Array.isArray(s.anyOf)) {
    const branches = (s.anyOf as unknown[]).map((b) => schemaProblems(b, value, path));
    if (!branches.some((b) => b.length === 0)) {
      problems.push(`${path}: matches no branch of anyOf (${branches.map((b) => b[0]).join(' | ')})`);
    }
  }
  if (Array.isArray(s.enum) && !(s.enum as unknown[]).includes(value)) {
    problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(s.enum)}`);
  }
  if ('const' in s && s.const !== value) problems.push(`${path}: must be ${JSON.stringify(s.const)}`);

  if (typeof value === 'string') {
    if (typeof s.maxLength === 'number' && [...value].length > s.maxLength) problems.push(`${path}: longer than ${s.maxLength}`);
    if (typeof s.minLength === 'number' && [...value].length < s.minLength) problems.push(`${path}: shorter than ${s.minLength}`);
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) problems.push(`${path}: below ${s.minimum}`);
    if (typeof s.maximum === 'number' && value > s.maximum) problems.push(`${path}: above ${s.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof s.maxItems === 'number' && value.length > s.maxItems) problems.push(`${path}: more than ${s.maxItems} items`);
    if (typeof s.minItems === 'number' && value.length < s.minItems) problems.push(`${path}: fewer than ${s.minItems} items`);
    if (s.items !== undefined) {
      for (const [i, item] of value.entries()) problems.push(...schemaProblems(s.items, item, `${path}[${i}]`));
    }
  }
  if (hasType(value, 'object')) {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, unknown>;
    for (const key of (s.required ?? []) as string[]) {
      if (!(key in obj)) problems.push(`${path}: the required key "${key}" is missing`);
    }
    for (const [key, v] of Object.entries(obj)) {
      const where = `${path}.${key}`;
      if (s.propertyNames !== undefined) problems.push(...schemaProblems(s.propertyNames, key, `${where} (name)`));
      if (key in props) problems.push(...schemaProblems(props[key], v, where));
      else if (s.additionalProperties !== undefined) problems.push(...schemaProblems(s.additionalProperties, v, where));
    }
  }
  return problems;
}
