// The document API Gateway imports: the OpenAPI document of the route table (runtime/api/openapi.ts)
// with what only API Gateway reads added: every operation's Lambda proxy integration (the API
// function), the authoriser of the `caller` scheme (IAM SigV4, or a Cognito user pool), and the
// gateway's own errors shaped like the API's ({code, message}). Its paths and methods are the
// document's, so the routes deployed are the routes documented (test/infra/api.test.ts).
import { openApiDocument } from "../../runtime/api/openapi";
import { throttledBody } from "../../runtime/api/errors";

export type ApiAuthorizer = "iam" | "cognito";

export interface DeployedDocumentArgs {
  /** The API function's ARN. */
  functionArn: string;
  region: string;
  partition: string;
  authorizer: ApiAuthorizer;
  /** Required with the cognito authoriser. */
  cognitoUserPoolArn?: string;
  title: string;
}

const gatewayError = (statusCode: number, code: string, message: string) => ({
  statusCode,
  responseTemplates: { "application/json": JSON.stringify({ code, message }) },
});

/** API Gateway's own answers (throttled, too large, no such route, not authorised), as API errors. */
export const gatewayResponses = {
  THROTTLED: gatewayError(429, throttledBody.code, throttledBody.message),
  QUOTA_EXCEEDED: gatewayError(429, throttledBody.code, throttledBody.message),
  REQUEST_TOO_LARGE: gatewayError(413, "body_too_large", "the body is over API Gateway's 10 MiB"),
  MISSING_AUTHENTICATION_TOKEN: gatewayError(
    404,
    "route_not_found",
    "no such route (or the call is not signed); GET /openapi.json lists them",
  ),
  UNAUTHORIZED: gatewayError(401, "unauthorized", "the call carries no valid credentials"),
  ACCESS_DENIED: gatewayError(403, "forbidden", "the caller may not call this route"),
  INVALID_SIGNATURE: gatewayError(403, "forbidden", "the request's SigV4 signature does not match"),
  EXPIRED_TOKEN: gatewayError(403, "forbidden", "the caller's credentials have expired"),
  DEFAULT_4XX: gatewayError(400, "invalid_input", "API Gateway refused the request"),
  DEFAULT_5XX: gatewayError(500, "internal_error", "API Gateway failed to reach Lethe"),
};

export function deployedDocument(args: DeployedDocumentArgs): Record<string, unknown> {
  const doc = openApiDocument() as {
    info: Record<string, unknown>;
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: { securitySchemes: Record<string, Record<string, unknown>> };
  } & Record<string, unknown>;
  const uri = `arn:${args.partition}:apigateway:${args.region}:lambda:path/2015-03-31/functions/${args.functionArn}/invocations`;
  for (const methods of Object.values(doc.paths))
    for (const op of Object.values(methods))
      op["x-amazon-apigateway-integration"] = {
        type: "aws_proxy",
        httpMethod: "POST",
        uri,
        passthroughBehavior: "when_no_match",
      };
  if (args.authorizer === "cognito") {
    if (!args.cognitoUserPoolArn) throw new Error("the cognito authoriser needs lethe:apiCognitoUserPoolArn");
    doc.components.securitySchemes.caller = {
      ...doc.components.securitySchemes.caller,
      "x-amazon-apigateway-authtype": "cognito_user_pools",
      "x-amazon-apigateway-authorizer": {
        type: "cognito_user_pools",
        providerARNs: [args.cognitoUserPoolArn],
      },
    };
  } else {
    doc.components.securitySchemes.caller = {
      ...doc.components.securitySchemes.caller,
      "x-amazon-apigateway-authtype": "awsSigv4",
    };
  }
  return {
    ...doc,
    info: { ...doc.info, title: args.title },
    "x-amazon-apigateway-gateway-responses": gatewayResponses,
    // Bodies arrive as text; the function decodes base64 when API Gateway sends it.
    "x-amazon-apigateway-binary-media-types": [],
  };
}
