import { Validator } from '@seriousme/openapi-schema-validator';
import test from 'ava';
import { startStack } from './helpers/stack.js';

test('/openapi.json is a valid OpenAPI 3.1 description of all 20 endpoints, generated from their definitions', async (t) => {
  const stack = await startStack('openapi');
  t.teardown(() => stack.stop());
  const response = await fetch(`${stack.server.baseUrl}/openapi.json`);
  t.is(response.headers.get('content-type'), 'application/json; charset=utf-8');
  const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, any>> };

  const result = await new Validator().validate(document as never);
  t.true(result.valid, JSON.stringify(result.errors));
  t.is(document.openapi, '3.1.0');

  const operations = Object.entries(document.paths).map(([path, methods]) => `${Object.keys(methods)[0]!.toUpperCase()} ${path}`);
  t.is(operations.length, 20);
  t.true(operations.includes('POST /douyin/publish/action/'));
  t.true(operations.includes('GET /douyin/message/chat/'));
  t.true(operations.includes('GET /douyin/notification/list/'));

  const userInfo = document.paths['/douyin/user/']!.get;
  t.deepEqual(userInfo.security, [{ token: [] }, { bearer: [] }]);
  t.deepEqual(userInfo.parameters, [{ name: 'user_id', in: 'query', required: false, schema: { type: 'string', pattern: '^[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?$' } }]);
  const register = document.paths['/douyin/user/register/']!.post;
  t.is(register.security, undefined);
  t.deepEqual(register.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required]), [['username', true], ['password', true]]);
  const read = document.paths['/douyin/notification/read/']!.post;
  t.deepEqual(read.security, [{ token: [] }, { bearer: [] }]);
  t.deepEqual(read.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required]), [['up_to_id', true]]);
  t.deepEqual(read.responses[200].content['application/json'].example, { status_code: 0, status_msg: 'success', unread_count: 0 });
  const markRead = document.paths['/douyin/message/read/']!.post;
  t.deepEqual(markRead.parameters.map((p: { name: string; required: boolean }) => [p.name, p.required]), [['to_user_id', true], ['up_to_id', true]]);
  t.deepEqual(markRead.responses[200].content['application/json'].example, { status_code: 0, status_msg: 'success', unread_count: 0 });
  const publish = document.paths['/douyin/publish/action/']!.post;
  t.deepEqual(publish.requestBody.content['multipart/form-data'].schema.required, ['data', 'title']);
});
