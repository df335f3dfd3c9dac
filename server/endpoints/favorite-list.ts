import { favorites } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { id, pageOf, paging } from '../http/schemas.js';

export default defineEndpoint({
  method: 'GET',
  path: '/douyin/favorite/list/',
  summary: 'The videos a user likes, most recently liked first, with the viewer\'s flags; paged by cursor',
  auth: 'required',
  params: { user_id: id.optional(), ...paging },
  refusal: { video_list: [], next_cursor: 0 },
  async handler({ params, viewerId, mediaBase }) {
    const page = await favorites.favoriteList(params.user_id ?? viewerId, pageOf(params), viewerId, mediaBase);
    return { video_list: page.videos, next_cursor: page.nextCursor };
  },
});
