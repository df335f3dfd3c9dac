import { users } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { password, username } from '../http/schemas.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/user/register/',
  summary: 'Create an account and log it in',
  auth: 'none',
  params: { username, password },
  refusal: { user_id: 0, token: '' },
  async handler({ params, address, services }) {
    await services.limits.registerPerAddress.consume(address);
    const userId = await users.register(params.username, params.password);
    return { user_id: userId, token: services.sessions.issue(userId) };
  },
});
