// The subset of JSON Schema the API's route table uses, and one validator for it: the API checks each
// body against its route's schema before any function runs (a 400 naming the field), and the tests
// check each reply against the schema the OpenAPI document promises. No npm validator: the Lambda's
// zip stays small, and the subset is what OpenAPI 3.0 and API Gateway both read the same way.

export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  enum?: readonly (string | number | boolean)[];
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
  nullable?: boolean;
}

/** The first way `value` breaks `schema`, naming the field by its path (`customerIds[3]`), or undefined. */
export function schemaViolation(schema: JsonSchema, value: unknown, at = "body"): string | undefined {
  if (value === null && schema.nullable) return undefined;
  if (schema.oneOf) {
    if (schema.oneOf.some((s) => schemaViolation(s, value, at) === undefined)) return undefined;
    return `${at} ${schema.description ? `must be ${schema.description}` : "matches none of its allowed forms"}`;
  }
  switch (schema.type) {
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return `${at} must be a JSON object`;
      const o = value as Record<string, unknown>;
      for (const name of schema.required ?? [])
        if (o[name] === undefined) return `${field(at, name)} is required`;
      for (const [name, v] of Object.entries(o)) {
        const sub = schema.properties?.[name];
        if (!sub) {
          if (schema.additionalProperties === false) return `${field(at, name)} is not a known field`;
          continue;
        }
        const bad = schemaViolation(sub, v, field(at, name));
        if (bad) return bad;
      }
      return undefined;
    }
    case "array": {
      if (!Array.isArray(value)) return `${at} must be an array`;
      if (schema.minItems !== undefined && value.length < schema.minItems)
        return `${at} must have at least ${schema.minItems} item(s)`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        return `${at} must have at most ${schema.maxItems} items, got ${value.length}`;
      for (let i = 0; i < value.length; i++) {
        const bad = schema.items ? schemaViolation(schema.items, value[i], `${at}[${i}]`) : undefined;
        if (bad) return bad;
      }
      return undefined;
    }
    case "string": {
      if (typeof value !== "string") return `${at} must be a string`;
      if (schema.minLength !== undefined && value.length < schema.minLength)
        return schema.minLength === 1
          ? `${at} must not be empty`
          : `${at} must have at least ${schema.minLength} characters`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        return `${at} must have at most ${schema.maxLength} characters`;
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(value))
        return `${at} must match ${schema.pattern}`;
      break;
    }
    case "integer":
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return `${at} must be a number`;
      if (schema.type === "integer" && !Number.isInteger(value)) return `${at} must be an integer`;
      if (schema.minimum !== undefined && value < schema.minimum)
        return `${at} must be at least ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum)
        return `${at} must be at most ${schema.maximum}`;
      break;
    }
    case "boolean":
      if (typeof value !== "boolean") return `${at} must be true or false`;
      break;
  }
  if (schema.enum && !schema.enum.includes(value as string))
    return `${at} must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`;
  return undefined;
}

function field(at: string, name: string): string {
  return at === "body" ? name : `${at}.${name}`;
}
