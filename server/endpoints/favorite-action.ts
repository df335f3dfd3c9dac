import { favorites } from '../../models/index.js';
import { defineEndpoint } from '../http/endpoint.js';
import { actionType, id } from '../http/schemas.js';

export default defineEndpoint({
  method: 'POST',
  path: '/douyin/favorite/action/',
  summary: 'Like (action_type 1) or unlike (2) a video; repeating either changes nothing',
  auth: 'required',
  params: { video_id: id, action_type: actionType },
  refusal: {},
  async handler({ params, viewerId, mediaBase, services }) {
    await services.limits.likesPerUser.consume(viewerId);
    await favorites.favorite(viewerId, params.video_id, params.action_type, { mediaBase });
    return {};
  },
});
