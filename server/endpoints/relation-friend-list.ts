import { Refusal, relations } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { id, pageOf, paging } from '../http/schemas.js';

export default defineEndpoint({
  method: 'GET',
  path: '/douyin/relation/friend/list/',
  summary: "The viewer's friends (mutual followers) with the latest message of each chat; paged by cursor",
  auth: 'required',
  params: { user_id: id.optional(), ...paging },
  refusal: { user_list: [], next_cursor: 0 },
  async handler({ params, viewerId, mediaBase }) {
    if (params.user_id !== undefined && params.user_id !== viewerId) {
      throw new Refusal('INVALID_PARAMETER', 'user_id must be your own: friend lists carry private messages');
    }
    const page = await relations.friendList(viewerId, pageOf(params), mediaBase);
    return { user_list: page.users, next_cursor: page.nextCursor };
  },
});
