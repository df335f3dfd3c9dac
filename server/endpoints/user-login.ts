import { users } from '../../models/index.js';
import { usernameKey } from '../../models/user.js';
import { defineEndpoint } from '../http/endpoint.js';
import { password, username } from '../http/schemas.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/user/login/',
  summary: 'Exchange a username and password for a token',
  auth: 'none',
  params: { username, password },
  refusal: { user_id: 0, token: '' },
  async handler({ params, address, services: { limits, sessions } }) {
    const name = usernameKey(params.username);
    const here = `${address}|${name}`;
    await limits.loginPerAddress.consume(address);
    await limits.loginFailuresPerAddressAndUsername.consume(here);
    await limits.loginFailuresPerUsername.consume(name);
    const userId = await users.authenticate(params.username, params.password);
    // Only failures count against a username.
    await Promise.all([limits.loginFailuresPerAddressAndUsername.reset(here), limits.loginFailuresPerUsername.reset(name)]);
    return { user_id: userId, token: sessions.issue(userId) };
  },
});
