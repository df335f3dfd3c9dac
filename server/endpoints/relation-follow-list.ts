import { relations } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { id, pageOf, paging } from '../http/schemas.js';

export default defineEndpoint({
  method: 'GET',
  path: '/douyin/relation/follow/list/',
  summary: 'Whom a user follows, most recent first, is_follow relative to the viewer; paged by cursor',
  auth: 'required',
  params: { user_id: id.optional(), ...paging },
  refusal: { user_list: [], next_cursor: 0 },
  async handler({ params, viewerId, mediaBase }) {
    const page = await relations.followList(params.user_id ?? viewerId, pageOf(params), viewerId, mediaBase);
    return { user_list: page.users, next_cursor: page.nextCursor };
  },
});
