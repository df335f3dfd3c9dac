import { videos } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { timestamp } from '../http/schemas.js';

export default defineEndpoint({
  method: 'GET',
  path: '/douyin/feed/',
  summary: 'The newest videos (at most 30) published before latest_time; next_time (ms) pages on',
  auth: 'optional',
  params: { latest_time: timestamp.optional() },
  refusal: { video_list: [], next_time: 0 },
  async handler({ params, viewerId, mediaBase }) {
    const before = params.latest_time?.before;
    const page = await videos.feed({ before, limit: videos.FEED_PAGE_SIZE }, viewerId, mediaBase);
    return { video_list: page.videos, next_time: page.nextTime ?? before ?? Date.now() };
  },
});
