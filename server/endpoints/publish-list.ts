import { videos } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { id, limit, timestamp } from '../http/schemas.js';

export default defineEndpoint({
  method: 'GET',
  path: '/douyin/publish/list/',
  summary: "A user's videos, newest first; pages of `limit` (default and most 100) with latest_time/next_time",
  auth: 'required',
  params: { user_id: id.optional(), latest_time: timestamp.optional(), limit: limit(100).optional() },
  refusal: { video_list: [], next_time: 0 },
  async handler({ params, viewerId, mediaBase }) {
    const before = params.latest_time?.before;
    const page = await videos.publishedBy(params.user_id ?? viewerId, { before, limit: params.limit ?? 100 }, viewerId, mediaBase);
    return { video_list: page.videos, next_time: page.nextTime ?? 0 };
  },
});
