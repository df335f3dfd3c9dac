import { revocations } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/user/logout/',
  summary: 'Log the token out (an extension): it is refused from then on, and the sockets opened with it are closed, on every process',
  auth: 'required',
  params: {},
  refusal: {},
  async handler({ token, services }) {
    // The token was checked before the handler runs; checked again for what it says.
    await revocations.revoke(services.sessions.verify(token!));
    return {};
  },
});
