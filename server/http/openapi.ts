import type { Middleware } from 'koa';
import { z } from 'zod';
import { Status } from '../../models/index.js';
import type { Endpoint } from './endpoint.js';

/**
 * The OpenAPI 3.1 description of the REST API, generated from the endpoint definitions themselves
 * (their parameter schemas, auth modes and refusal fields), so it cannot drift from what is served.
 */
export function openApiDocument(endpoints: readonly Endpoint[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const endpoint of endpoints) {
    const schema = z.toJSONSchema(z.object(endpoint.params), { io: 'input', unrepresentable: 'any' }) as {
      properties?: Record<string, object>;
      required?: string[];
    };
    const properties = Object.entries(schema.properties ?? {});
    const operation: Record<string, unknown> = {
      summary: endpoint.summary,
      operationId: endpoint.path.replace(/^\/douyin\/|\/$/g, '').replace(/\//g, '_') || 'root',
      responses: {
        200: {
          description: 'The JSON envelope: status_code 0 and the fields below on success; a non-zero status_code, a status_msg and these fields zero-valued on refusal',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Envelope' }, example: { status_code: 0, status_msg: 'success', ...endpoint.refusal } } },
        },
      },
    };
    if (endpoint.auth !== 'none') operation.security = endpoint.auth === 'required' ? [{ token: [] }, { bearer: [] }] : [{}, { token: [] }, { bearer: [] }];
    if (endpoint.upload) {
      operation.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: { [endpoint.upload.field]: { type: 'string', contentMediaType: 'application/octet-stream' }, token: { type: 'string' }, ...schema.properties },
              required: [endpoint.upload.field, ...(schema.required ?? [])],
            },
          },
        },
      };
    } else {
      operation.parameters = properties.map(([name, property]) => ({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: property }));
    }
    paths[endpoint.path] = { [endpoint.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Douyin-lite REST API',
      version,
      description: `Every parameter may also be sent as an urlencoded or multipart form field or in a JSON object body. status_code values: ${JSON.stringify(Status)}.`,
    },
    paths,
    components: {
      securitySchemes: {
        token: { type: 'apiKey', in: 'query', name: 'token' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      schemas: {
        Envelope: {
          type: 'object',
          required: ['status_code', 'status_msg'],
          properties: { status_code: { type: 'integer' }, status_msg: { type: 'string' } },
          additionalProperties: true,
        },
      },
    },
  };
}

export function openApi(document: object): Middleware {
  const body = JSON.stringify(document);
  return async (ctx, next) => {
    if (ctx.path !== '/openapi.json' || ctx.method !== 'GET') return next();
    ctx.type = 'application/json';
    ctx.body = body;
  };
}
