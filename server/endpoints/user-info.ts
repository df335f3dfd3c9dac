import { EMPTY_USER, users } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { id } from '../http/schemas.js';

export default defineEndpoint({
  method: 'GET',
  path: '/douyin/user/',
  summary: "A user's profile as the viewer sees it; without user_id, the viewer's own",
  auth: 'required',
  params: { user_id: id.optional() },
  refusal: { user: EMPTY_USER },
  async handler({ params, viewerId, mediaBase }) {
    return { user: await users.userView(params.user_id ?? viewerId, viewerId, mediaBase) };
  },
});
