// The OpenAPI 3 document of the HTTP API, generated from the route table (./routes.ts). The same
// document is committed (docs/openapi.json; a test checks it is the generated one), served at
// GET /openapi.json, and imported by API Gateway with one integration per operation added
// (infra/api/erasureApi.ts), so the routes deployed are the routes documented.
import { errorSchema, errorStatusDescriptions, Route, routes } from "./routes";
import { JsonSchema } from "./schema";

export const apiTitle = "Lethe erasure API";
export const apiVersion = "1.0.0";

export interface OpenApiOptions {
  /** `servers[0].url`; left out of the committed document. */
  serverUrl?: string;
}

function parameters(route: Route): unknown[] {
  const out: unknown[] = [];
  for (const [name, schema] of Object.entries(route.pathParameters ?? {}))
    out.push({ name, in: "path", required: true, description: schema.description, schema: plain(schema) });
  for (const [name, schema] of Object.entries(route.query ?? {}))
    out.push({ name, in: "query", required: false, description: schema.description, schema: plain(schema) });
  for (const [name, schema] of Object.entries(route.headers ?? {}))
    out.push({ name, in: "header", required: false, description: schema.description, schema: plain(schema) });
  return out;
}

/** The schema without descriptions on nested keywords OpenAPI 3.0 would not read differently. */
function plain(schema: JsonSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema;
}

function responses(route: Route): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const textType = route.success.html ? "text/html" : route.success.mediaType;
  out[String(route.success.status)] = textType
    ? { description: route.success.description, content: { [textType]: { schema: { type: "string" } } } }
    : {
        description: route.success.description,
        content: { "application/json": { schema: plain(route.success.schema ?? {}) } },
      };
  for (const status of route.errors) {
    const what = errorStatusDescriptions[status];
    // A link's refusals are pages for a person; throttling and internal errors stay JSON everywhere.
    const asPage = route.auth === "link" && status !== 429 && status !== 500;
    out[String(status)] = asPage
      ? {
          description: `${what.description} (a page saying why; nothing changed)`,
          content: { "text/html": { schema: { type: "string" } } },
        }
      : {
          description: `${what.description} (code ${what.codes.join(" or ")})`,
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        };
  }
  return out;
}

export function openApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const op: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.auth === "caller" ? { security: [{ caller: [] }] } : { security: [] }),
      parameters: parameters(route),
      responses: responses(route),
    };
    if (route.body)
      op.requestBody = {
        required: route.body.required,
        content: { [route.body.contentType]: { schema: plain(route.body.schema) } },
      };
    if ((op.parameters as unknown[]).length === 0) delete op.parameters;
    (paths[route.path] ??= {})[route.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.0.3",
    info: {
      title: apiTitle,
      version: apiVersion,
      description:
        "Erasure requests and approvals of a Lethe stack. Every error is JSON {code, message}; the message names the field and never holds a customer ID.",
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Error: plain(errorSchema) },
      securitySchemes: {
        caller: {
          type: "apiKey",
          name: "Authorization",
          in: "header",
          description:
            "AWS SigV4 (IAM) by default; a Cognito user pool's ID token when the stack configures one",
        },
      },
    },
  };
}
