import { comments } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { id, pageOf, paging } from '../http/schemas.js';

export default defineEndpoint({
  method: 'GET',
  path: '/douyin/comment/list/',
  summary: 'The comments of a video, newest first; paged by cursor',
  auth: 'optional',
  params: { video_id: id, ...paging },
  refusal: { comment_list: [], next_cursor: 0 },
  async handler({ params, viewerId, mediaBase, services }) {
    const page = await comments.commentList(params.video_id, pageOf(params), viewerId, { mediaBase, formatDate: services.formatDate });
    return { comment_list: page.comments, next_cursor: page.nextCursor };
  },
});
