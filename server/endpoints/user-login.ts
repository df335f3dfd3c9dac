import { users } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { password, username } from '../http/schemas.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/user/login/',
  summary: 'Exchange a username and password for a token',
  auth: 'none',
  params: { username, password },
  refusal: { user_id: 0, token: '' },
  async handler({ params, services }) {
    const userId = await users.authenticate(params.username, params.password);
    return { user_id: userId, token: services.sessions.issue(userId) };
  },
});
